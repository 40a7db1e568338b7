"""llama.cpp side of `cargo bench --bench generation`.

Reads prompts (JSON Lines: task_id, prompt text already rendered with the
model's chat template), generates greedily with llama-cpp-python on the same
GGUF file, and writes JSON Lines: task_id, raw_output, new_tokens,
prompt_tokens, seconds (prompt evaluation and generation), prefill_seconds
(until the first token was chosen), prompt_ids and token_ids (the prompt's
and the answer's token ids, to compare tokenization and find where two
greedy answers part).

    python benches/llama_cpp_generate.py MODEL.gguf prompts.jsonl out.jsonl THREADS MAX_NEW_TOKENS

CODEFAIL_LLAMA_KV=f32 keeps llama.cpp's key/value cache in f32, as codefail
keeps its own; the default, f16, is llama.cpp's default.
CODEFAIL_LLAMA_REUSE_PREFIX=1 keeps the previous prompt's cache, so that
llama-cpp-python evaluates only the part of a prompt after the prefix it shares
with the previous one (its behaviour when `reset()` is not called); by default
every prompt is evaluated whole. Neither changes the arithmetic's definition,
only its rounding (f16 storage; the prompt split into other matrix shapes), so
the two settings measure how much llama.cpp's own greedy answers move with
rounding alone. Each output row records them as kv_type and reuse_prefix.
"""
import json
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import llama_cpp  # noqa: E402
from llama_cpp import Llama  # noqa: E402

model, prompts, out, threads, max_new = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
kv_type = os.environ.get("CODEFAIL_LLAMA_KV", "f16")
reuse_prefix = os.environ.get("CODEFAIL_LLAMA_REUSE_PREFIX", "0") == "1"
kv_types = {"f16": llama_cpp.GGML_TYPE_F16, "f32": llama_cpp.GGML_TYPE_F32}
if kv_type not in kv_types:
    sys.exit("CODEFAIL_LLAMA_KV=%r: expected one of %s" % (kv_type, ", ".join(kv_types)))
llm = Llama(model_path=model, n_ctx=4096, n_threads=threads, n_threads_batch=threads, n_batch=512, verbose=False,
            seed=0, type_k=kv_types[kv_type], type_v=kv_types[kv_type])


def is_eog(tok):
    """End of generation: llama.cpp's own end-of-turn set (EOS, <|im_end|>, ...)."""
    model_ = llm._model
    if hasattr(model_, "token_is_eog"):
        return model_.token_is_eog(tok)
    return tok == llm.token_eos()


with open(prompts) as f, open(out, "w") as w:
    for line in f:
        job = json.loads(line)
        ids = llm.tokenize(job["prompt"].encode("utf-8"), add_bos=False, special=True)
        if not reuse_prefix:
            llm.reset()
        t0 = time.perf_counter()
        text = b""
        out_ids = []
        n = 0
        first = None
        for tok in llm.generate(ids, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, reset=True):
            if first is None:
                # The prompt has been evaluated and the first token chosen.
                first = time.perf_counter() - t0
            if is_eog(tok):
                break
            text += llm.detokenize([tok])
            out_ids.append(tok)
            n += 1
            if n >= max_new:
                break
        dt = time.perf_counter() - t0
        w.write(json.dumps({"task_id": job["task_id"], "raw_output": text.decode("utf-8", "replace"),
                            "new_tokens": n, "prompt_tokens": len(ids), "seconds": dt,
                            "prompt_ids": ids, "token_ids": out_ids,
                            "prefill_seconds": first or dt, "kv_type": kv_type,
                            "reuse_prefix": reuse_prefix}) + "\n")
        w.flush()
