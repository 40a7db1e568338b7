//! Prompt ids: how a problem becomes a model input. Each says where it comes from.
//!
//! | id | source | form |
//! |---|---|---|
//! | `mbpp-instruct` | the WizardCoder/Magicoder MBPP evaluation (EvalPlus `codegen` instruction prompt for MBPP) | chat: one user message |
//! | `mbpp-deepseek-3shot` | DeepSeek-Coder's official MBPP evaluation (`Evaluation/MBPP`), tasks 2, 3, 4 as examples; identical to the `prompt` field of the published DeepSeek-Coder-1.3B generations | chat: one user message |
//! | `humaneval-complete` | HumanEval as released: the function signature and docstring, continued by the model | plain completion |
//! | `lcb-stdin` | LiveCodeBench `lcb_runner/prompts/code_generation.py` (no starter code: read stdin, print the answer) | chat: system + user |
//!
//! System prompts by id ([`system_prompt`]): `none` (the template's own
//! default), `expert` (`You are an expert Python programmer.`), `lcb`
//! (LiveCodeBench's system message).

use crate::data::{Problem, TestKind};
use crate::{Error, Result};

use crate::runtime::Message;

/// Every prompt id.
pub const PROMPT_IDS: &[&str] = &[
    "mbpp-instruct",
    "mbpp-deepseek-3shot",
    "humaneval-complete",
    "lcb-stdin",
];

/// LiveCodeBench's system message for code generation.
pub const LCB_SYSTEM: &str = "You are an expert Python programmer. You will be given a question (problem specification) and will generate a correct Python program that matches the specification and passes all tests.";

/// DeepSeek-Coder's three MBPP examples (tasks 2, 3, 4), as its evaluation writes them.
const DEEPSEEK_EXAMPLES: &str = "Please refer the given examples and generate a python function for my problem.\nExamples are listed as follows:\n- Example 1:\n>>> Problem:\nWrite a function to find the similar elements from the given two tuple lists.\n>>> Test Cases:\nassert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\nassert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)\nassert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)\n\n>>> Code:\n```python\ndef similar_elements(test_tup1, test_tup2):\n  res = tuple(set(test_tup1) & set(test_tup2))\n  return (res) \n```\n\n- Example 2:\n>>> Problem:\nWrite a python function to identify non-prime numbers.\n>>> Test Cases:\nassert is_not_prime(2) == False\nassert is_not_prime(10) == True\nassert is_not_prime(35) == True\n\n>>> Code:\n```python\nimport math\ndef is_not_prime(n):\n    result = False\n    for i in range(2,int(math.sqrt(n)) + 1):\n        if n % i == 0:\n            result = True\n    return result\n```\n\n- Example 3:\n>>> Problem:\nWrite a function to find the largest integers from a given list of numbers using heap queue algorithm.\n>>> Test Cases:\nassert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] \nassert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] \nassert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]\n\n>>> Code:\n```python\nimport heapq as hq\ndef heap_queue_largest(nums,n):\n  largest_nums = hq.nlargest(n, nums)\n  return largest_nums\n```\n\n";

/// A model input: chat messages, or plain text for completion.
#[derive(Clone, Debug, PartialEq)]
pub enum PromptInput {
    /// Rendered with the model's chat template (generation prompt added).
    Chat(Vec<Message>),
    /// Fed as is.
    Completion(String),
}

/// The system message of a system prompt id (`None` for `none`).
///
/// ```
/// assert_eq!(codefail::sample::system_prompt("expert").unwrap().as_deref(), Some("You are an expert Python programmer."));
/// assert!(codefail::sample::system_prompt("nope").is_err());
/// ```
pub fn system_prompt(id: &str) -> Result<Option<String>> {
    match id {
        "none" | "" => Ok(None),
        "expert" => Ok(Some("You are an expert Python programmer.".into())),
        "lcb" => Ok(Some(LCB_SYSTEM.into())),
        other => Err(Error::Invalid(format!(
            "unknown system prompt `{other}` (none, expert, lcb)"
        ))),
    }
}

fn public_asserts(p: &Problem) -> Vec<&str> {
    p.tests
        .iter()
        .filter(|t| t.kind == TestKind::Assert && t.public)
        .filter_map(|t| t.code.as_deref())
        .collect()
}

/// The input for `problem` under prompt `id` (with an optional system message
/// for chat prompts). Only public tests are shown to the model.
///
/// ```
/// use codefail::data::{Problem, TestCase, TestType};
/// use codefail::sample::{prompt_for, PromptInput};
/// let p = Problem { task_id: "Mbpp/2".into(), dataset: "mbpp".into(), split: "test".into(),
///     prompt: "Write a function to add.".into(), entry_point: Some("add".into()),
///     test_type: TestType::Functional, tests: vec![TestCase::assert("assert add(1, 2) == 3")],
///     setup_code: String::new(), reference: None, atol: 0.0, metadata: "{}".into() };
/// let PromptInput::Chat(m) = prompt_for(&p, "mbpp-instruct", None).unwrap() else { panic!() };
/// assert_eq!(m[0].content, "You are an expert Python programmer, and here is your task: Write a function to add. Your code should pass these tests:\n\nassert add(1, 2) == 3\n");
/// ```
pub fn prompt_for(problem: &Problem, id: &str, system: Option<&str>) -> Result<PromptInput> {
    let chat = |user: String| {
        let mut m = Vec::new();
        if let Some(s) = system {
            m.push(Message::new("system", s));
        }
        m.push(Message::new("user", user));
        PromptInput::Chat(m)
    };
    match id {
        "mbpp-instruct" => Ok(chat(format!(
            "You are an expert Python programmer, and here is your task: {} Your code should pass these tests:\n\n{}\n",
            problem.prompt.trim(),
            public_asserts(problem).join("\n")
        ))),
        "mbpp-deepseek-3shot" => {
            let tests: String = public_asserts(problem)
                .iter()
                .map(|t| format!("{t}\n"))
                .collect();
            Ok(chat(format!(
                "{DEEPSEEK_EXAMPLES}Here is my problem:\n>>> Problem:\n{}\n>>> Test Cases:\n{tests}",
                problem.prompt
            )))
        }
        "humaneval-complete" => Ok(PromptInput::Completion(problem.prompt.clone())),
        "lcb-stdin" => {
            let mut m = vec![Message::new("system", system.unwrap_or(LCB_SYSTEM))];
            m.push(Message::new(
                "user",
                format!(
                    "### Question:\n{}\n\n### Format: Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on the sample inputs). Enclose your code within delimiters as follows. Ensure that when the python program runs, it reads the inputs, runs the algorithm and writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n### Answer: (use the provided format with backticks)\n\n",
                    problem.prompt
                ),
            ));
            Ok(PromptInput::Chat(m))
        }
        other => Err(Error::Invalid(format!(
            "unknown prompt id `{other}` ({})",
            PROMPT_IDS.join(", ")
        ))),
    }
}

/// Stop strings a prompt id needs (HumanEval completion stops at the next
/// top-level statement, as Codex's evaluation does).
///
/// ```
/// assert!(codefail::sample::default_stops("humaneval-complete").contains(&"\ndef "));
/// assert!(codefail::sample::default_stops("mbpp-instruct").is_empty());
/// ```
pub fn default_stops(id: &str) -> &'static [&'static str] {
    match id {
        "humaneval-complete" => &["\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"],
        _ => &[],
    }
}

/// `sampling` with the stop strings prompt `id` needs ([`default_stops`])
/// added after the caller's own (none repeated).
///
/// ```
/// use codefail::sample::{Sampling, with_prompt_stops};
/// let s = with_prompt_stops(&Sampling { stop: vec!["\ndef ".into()], ..Default::default() }, "humaneval-complete");
/// assert_eq!(s.stop.iter().filter(|x| *x == "\ndef ").count(), 1);
/// assert!(s.stop.len() > 1);
/// ```
pub fn with_prompt_stops(sampling: &super::Sampling, id: &str) -> super::Sampling {
    let mut out = sampling.clone();
    for s in default_stops(id) {
        if !out.stop.iter().any(|x| x == s) {
            out.stop.push((*s).into());
        }
    }
    out
}
