#!/usr/bin/env python3
"""HF transformers' greedy decoding speed on the model and prompt of
benches/gpu_decode.rs (scripts/gpu-check.sh runs both, side by side).

    hf_decode.py make-model DIR [--size 1.5b|tiny] [--tokenizer-dir TOK]
        Random-initialised Qwen2 (Qwen2.5-Coder-1.5B's shapes), bf16, saved
        with save_pretrained (safetensors); the tokenizer files are copied
        from TOK.
    hf_decode.py decode DIR --ids IDS.json [--batches 1,32] [--max-new 256]
        [--out OUT.json]
        Greedy, exactly max-new new tokens per row (min_new_tokens), the
        prompt's token ids as gpu_decode wrote them, each batch warmed up once
        and then timed with the GPU synchronised. One JSON line per batch.
    hf_decode.py bandwidth
        Device-to-device copy bandwidth in GB/s (bytes read plus written),
        the figure the bound uses.
"""
import argparse
import json
import shutil
import sys
import time
from pathlib import Path

SIZES = {
    "1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                 num_attention_heads=12, num_key_value_heads=2),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2),
}


def make_model(args):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    cfg = Qwen2Config(vocab_size=151936, max_position_embeddings=32768, rope_theta=1e6,
                      rms_norm_eps=1e-6, tie_word_embeddings=True, use_sliding_window=False,
                      bos_token_id=151643, eos_token_id=151645, **SIZES[args.size])
    torch.manual_seed(0)
    t0 = time.perf_counter()
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = Qwen2ForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(args.dir)  # safetensors, transformers' default
    if args.tokenizer_dir:
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(Path(args.tokenizer_dir) / f, Path(args.dir) / f)
    print(f"made {args.dir} ({args.size}) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def decode(args):
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    ids = json.loads(Path(args.ids).read_text())
    t0 = time.perf_counter()
    try:
        model = AutoModelForCausalLM.from_pretrained(args.dir, dtype=torch.bfloat16)
    except TypeError:  # transformers < 4.56 names it torch_dtype
        model = AutoModelForCausalLM.from_pretrained(args.dir, torch_dtype=torch.bfloat16)
    model = model.cuda().eval()
    load_s = time.perf_counter() - t0
    rows = []
    for b in [int(x) for x in args.batches.split(",")]:
        x = torch.tensor([ids] * b, device="cuda")
        mask = torch.ones_like(x)

        def run(n):
            with torch.inference_mode():
                return model.generate(x, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                                      do_sample=False, pad_token_id=0)
        run(8)
        torch.cuda.synchronize()
        t = time.perf_counter()
        out = run(args.max_new)
        torch.cuda.synchronize()
        wall = time.perf_counter() - t
        tokens = (out.shape[1] - len(ids)) * b
        row = dict(engine="transformers " + transformers.__version__, torch=torch.__version__,
                   device=torch.cuda.get_device_name(), dtype="BF16", batch=b,
                   new_tokens=tokens, max_new_tokens=args.max_new, wall_s=wall,
                   tokens_per_s=tokens / wall, load_s=load_s,
                   attn=getattr(model.config, "_attn_implementation", None))
        print(json.dumps(row), flush=True)
        rows.append(row)
    if args.out:
        Path(args.out).write_text(json.dumps({"runs": rows}, indent=1))


def bandwidth(_args):
    import torch

    n = 2 << 30  # 2 GiB each way: far past the 60 MB L2
    a = torch.empty(n, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(10):
        b.copy_(a)
    end.record()
    torch.cuda.synchronize()
    s = start.elapsed_time(end) / 1e3 / 10
    print(json.dumps(dict(copy_gbs=2 * n / s / 1e9, bytes=n, seconds=s)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-model")
    m.add_argument("dir")
    m.add_argument("--size", default="1.5b", choices=sorted(SIZES))
    m.add_argument("--tokenizer-dir")
    d = sub.add_parser("decode")
    d.add_argument("dir")
    d.add_argument("--ids", required=True)
    d.add_argument("--batches", default="1,32")
    d.add_argument("--max-new", type=int, default=256)
    d.add_argument("--out")
    sub.add_parser("bandwidth")
    args = p.parse_args()
    {"make-model": make_model, "decode": decode, "bandwidth": bandwidth}[args.cmd](args)


if __name__ == "__main__":
    main()
