"""The dataset layouts of the seed studies, each as a tiny JSONL file with the real dataset's column
names and types, read through load_records (and a few through the runners on the tiny model), and
the explicit column mapping and template."""

import argparse
import json

import pytest

from ablate_runners.common import RunnerError
from ablate_runners.data import add_dataset_arguments, load_records, prompts_of, statements
from conftest import FIXTURES, read_lines, run_runner, write_lines

HH_CHOSEN = "\n\nHuman: Tell me about the moon.\n\nAssistant: It is bright.\n\nHuman: Why?\n\nAssistant: It reflects sunlight."
HH_REJECTED = "\n\nHuman: Tell me about the moon.\n\nAssistant: It is bright.\n\nHuman: Why?\n\nAssistant: No idea."
SHP = {"post_id": "qt3nxl", "domain": "askculinary_train", "upvote_ratio": 0.98, "history": "How do I keep basil fresh?",
       "c_root_id_A": "hkh25sc", "c_root_id_B": "hkh25lp", "created_at_utc_A": 1636822112, "created_at_utc_B": 1636822110,
       "score_A": 340, "score_B": 166, "human_ref_A": "Put it in water like flowers.", "human_ref_B": "Freeze it.",
       "labels": 1, "seconds_difference": 2.0, "score_ratio": 2.048}
ORCA = [{"id": "niv.242684", "system_prompt": "You are an AI assistant. Answer briefly.", "question": "What is 2 + 2?", "response": "4"},
        {"id": "flan.564327", "system_prompt": "", "question": "Name a colour.", "response": "Blue."}]
LIMA = [{"conversations": ["Write a haiku about rain.", "Soft rain on the roof."], "source": "stackexchange"},
        {"conversations": ["Hi.", "Hello!", "How are you?", "Well, thanks."], "source": "multi_turn"}]
ALPACA_INSTRUCTIONS = [{"instruction": "Summarise the text.", "input": "The cat sat on the mat.", "output": "A cat sat."},
                       {"instruction": "Name a planet.", "input": "", "output": "Mars."}]
ALPACA_PREFERENCE = [{"instruction": "Name a fruit.", "input": "", "output_1": "Apple.", "output_2": "Rock.", "preference": 1},
                     {"instruction": "Add the numbers.", "input": "2 and 3", "output_1": "6", "output_2": "5", "preference": 2}]
ALPACA_EVAL = [{"instruction": "What are the names of some famous actors?", "output": "Tom Hanks.", "generator": "text_davinci_003",
                "dataset": "helpful_base"},
               {"instruction": "Write a short poem.", "output": "Roses are red.", "generator": "text_davinci_003", "dataset": "koala"}]


def loaded(path, data_format, columns=None, template=None, subset=None, split=None):
    parser = argparse.ArgumentParser()
    add_dataset_arguments(parser, "data")
    arguments = ["--data", str(path)] + (["--data-format", data_format] if data_format else [])
    arguments += (["--data-subset", subset] if subset else []) + (["--data-split", split] if split else [])
    arguments += (["--data-columns", *columns] if columns else []) + (["--data-template", template] if template else [])
    return load_records(parser.parse_args(arguments), "data")


def rows(dataset, *columns):
    return [tuple(record[column] for column in columns) for record in dataset]


def test_lima_conversations_become_alternating_messages(tmp_path):
    dataset = loaded(write_lines(tmp_path / "lima.jsonl", LIMA), "messages")
    assert dataset.column_names == ["messages"]
    assert dataset[1]["messages"] == [{"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hello!"},
                                      {"role": "user", "content": "How are you?"}, {"role": "assistant", "content": "Well, thanks."}]
    assert prompts_of(dataset) == ["Write a haiku about rain.", "Hi."]


def test_openorca_keeps_its_system_prompt_before_the_question_and_its_id(tmp_path):
    dataset = loaded(write_lines(tmp_path / "orca.jsonl", ORCA), "prompt-completion")
    assert sorted(dataset.column_names) == ["completion", "id", "prompt"]
    assert rows(dataset, "id", "prompt", "completion") == [
        ("niv.242684", "You are an AI assistant. Answer briefly.\n\nWhat is 2 + 2?", "4"), ("flan.564327", "Name a colour.", "Blue.")]


@pytest.mark.parametrize("labels, completion", [(1, "Put it in water like flowers."), (0, "Freeze it.")])
def test_shp_for_sft_completes_the_history_with_the_preferred_comment(tmp_path, labels, completion):
    dataset = loaded(write_lines(tmp_path / "shp.jsonl", [{**SHP, "labels": labels}]), "prompt-completion")
    assert rows(dataset, "prompt", "completion") == [("How do I keep basil fresh?", completion)]


def test_shp_for_preference_is_unchanged(tmp_path):
    dataset = loaded(write_lines(tmp_path / "shp.jsonl", [SHP]), "preference")
    assert rows(dataset, "prompt", "chosen", "rejected") == [("How do I keep basil fresh?", "Put it in water like flowers.", "Freeze it.")]


def test_hh_rlhf_for_sft_splits_the_chosen_conversation_after_the_last_assistant_turn(tmp_path):
    dataset = loaded(write_lines(tmp_path / "hh.jsonl", [{"chosen": HH_CHOSEN, "rejected": HH_REJECTED}]), "prompt-completion")
    prompt, completion = rows(dataset, "prompt", "completion")[0]
    assert prompt.endswith("\n\nHuman: Why?\n\nAssistant:") and completion == " It reflects sunlight."
    assert prompt + completion == HH_CHOSEN


def test_tldr_label_is_the_completion_and_comparisons_are_preference_pairs(tmp_path):
    post = "SUBREDDIT: r/cooking\nTITLE: Basil\nPOST: It wilts.\nTL;DR:"
    tldr = loaded(write_lines(tmp_path / "tldr.jsonl", [{"prompt": post, "label": " Keep basil in water."}]), "prompt-completion")
    assert rows(tldr, "prompt", "completion") == [(post, " Keep basil in water.")]
    comparisons = write_lines(tmp_path / "comparisons.jsonl", [{"prompt": post, "chosen": "TL;DR: Water.", "rejected": "TL;DR: Fire."}])
    assert rows(loaded(comparisons, "preference"), "prompt", "chosen", "rejected") == [(post, "TL;DR: Water.", "TL;DR: Fire.")]


def test_alpaca_farm_instructions_put_a_non_empty_input_after_a_blank_line(tmp_path):
    dataset = loaded(write_lines(tmp_path / "alpaca.jsonl", ALPACA_INSTRUCTIONS), "prompt-completion")
    assert rows(dataset, "prompt", "completion") == [("Summarise the text.\n\nThe cat sat on the mat.", "A cat sat."), ("Name a planet.", "Mars.")]


def test_alpaca_farm_human_preference_chooses_the_preferred_output(tmp_path):
    dataset = loaded(write_lines(tmp_path / "preference.jsonl", ALPACA_PREFERENCE), "preference")
    assert rows(dataset, "prompt", "chosen", "rejected") == [("Name a fruit.", "Apple.", "Rock."), ("Add the numbers.\n\n2 and 3", "5", "6")]


@pytest.mark.parametrize("data_format", ["prompt-completion", "prompt-only", None])
def test_alpaca_eval_gives_prompts_and_completions(tmp_path, data_format):
    dataset = loaded(write_lines(tmp_path / "eval.jsonl", ALPACA_EVAL), data_format)
    assert rows(dataset, "prompt", "completion") == [("What are the names of some famous actors?", "Tom Hanks."), ("Write a short poem.", "Roses are red.")]
    assert prompts_of(dataset) == ["What are the names of some famous actors?", "Write a short poem."]


def test_cnn_dailymail_summarises_the_article_into_its_highlights(tmp_path):
    record = {"article": "LONDON (CNN) -- It rained.", "highlights": "Rain in London .", "id": "42c027e4ff9730fbb3de84c1af0d2c506e8a3b3f"}
    dataset = loaded(write_lines(tmp_path / "cnn.jsonl", [record]), "prompt-completion")
    assert rows(dataset, "id", "prompt", "completion") == [(record["id"], record["article"], record["highlights"])]


def test_a_mapping_reads_the_targets_from_the_named_columns_with_the_system_prompt(tmp_path):
    path = write_lines(tmp_path / "orca.jsonl", [{"q": "What is 2 + 2?", "a": "4", "sys": "Be brief."}])
    dataset = loaded(path, "prompt-completion", columns=["prompt=q", "completion=a", "system=sys"])
    assert sorted(dataset.column_names) == ["completion", "prompt"]
    assert rows(dataset, "prompt", "completion") == [("Be brief.\n\nWhat is 2 + 2?", "4")]


def test_a_mapped_list_of_strings_becomes_messages(tmp_path):
    dataset = loaded(write_lines(tmp_path / "chat.jsonl", [{"turns": ["Hi.", "Hello!"]}]), "messages", columns=["messages=turns"])
    assert dataset[0]["messages"] == [{"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hello!"}]


def test_a_template_builds_the_prompt_from_the_fields(tmp_path):
    path = write_lines(tmp_path / "alpaca.jsonl", ALPACA_INSTRUCTIONS[:1])
    dataset = loaded(path, "prompt-completion", columns=["completion=output"], template="### {instruction}\n\n{input}\n")
    assert rows(dataset, "prompt", "completion") == [("### Summarise the text.\n\nThe cat sat on the mat.\n", "A cat sat.")]


@pytest.mark.parametrize("columns, template, message", [
    (["prompt=prompt", "completion=response"], None,
     "has the columns ['id', 'question', 'response', 'system_prompt'], not ['prompt']; map them in the spec: columns: {prompt: COLUMN, completion: COLUMN}"),
    (["completion=response"], "{instruction}", "the template names 'instruction', but the dataset has the columns ['id', 'question'"),
    (["answer=response"], None, "--data-columns: 'answer=response' is not TARGET=COLUMN"),
])
def test_a_mapping_that_does_not_fit_the_first_record_fails_at_once(tmp_path, columns, template, message):
    with pytest.raises(RunnerError) as error:
        loaded(write_lines(tmp_path / "orca.jsonl", ORCA), "prompt-completion", columns=columns, template=template)
    assert message in str(error.value)


def test_no_known_layout_names_the_layouts_and_how_to_map(tmp_path):
    with pytest.raises(RunnerError) as error:
        loaded(write_lines(tmp_path / "odd.jsonl", [{"query": "Hi.", "reply": "Hello."}]), "prompt-completion")
    message = str(error.value)
    assert "prompt-completion data needs the columns of a known layout" in message and "OpenOrca (system_prompt, question, response)" in message
    assert message.endswith("it has ['query', 'reply']; map them in the spec: columns: {prompt: COLUMN, completion: COLUMN}")


# Through the runners on the tiny model, as the pipeline runs them.

SHORT = ["--max-steps", 2, "--batch-size", 2, "--lora-r", 4, "--lora-alpha", 8, "--lora-target-modules", "q_proj", "v_proj"]


def trains(module, model, data, *arguments, output, home):
    result = run_runner(module, "--model", model, "--data", data, *arguments, *SHORT, "--output", output, home=home)
    assert result.returncode == 0, result.stderr
    assert (output / "model" / "adapter_config.json").exists()


def test_sft_trains_on_lima_openorca_and_a_mapped_template(tiny_models, hf_home, tmp_path):
    trains("sft", tiny_models["model"], write_lines(tmp_path / "lima.jsonl", LIMA), "--data-format", "messages",
           output=tmp_path / "lima", home=hf_home)
    trains("sft", tiny_models["model"], write_lines(tmp_path / "orca.jsonl", ORCA), "--data-format", "prompt-completion",
           output=tmp_path / "orca", home=hf_home)
    trains("sft", tiny_models["model"], write_lines(tmp_path / "alpaca.jsonl", ALPACA_INSTRUCTIONS), "--data-format", "prompt-completion",
           "--data-columns", "completion=output", "--data-template", "{instruction}\n\n{input}", output=tmp_path / "mapped", home=hf_home)


@pytest.mark.parametrize("module, model", [("reward", "reward_model"), ("dpo", "model")])
def test_alpaca_farm_human_preference_trains_reward_and_dpo(tiny_models, hf_home, tmp_path, module, model):
    trains(module, tiny_models[model], write_lines(tmp_path / "preference.jsonl", ALPACA_PREFERENCE), "--data-format", "preference",
           output=tmp_path / "out", home=hf_home)


def test_generate_reads_alpaca_eval_prompts(tiny_models, hf_home, tmp_path):
    result = run_runner("generate", "--model", tiny_models["model"], "--prompts", write_lines(tmp_path / "eval.jsonl", ALPACA_EVAL),
                        "--prompts-format", "prompt-only", "--samples-per-prompt", 1, "--max-new-tokens", 4, "--output", tmp_path / "out",
                        home=hf_home)
    assert result.returncode == 0, result.stderr
    assert [record["prompt"] for record in read_lines(tmp_path / "out" / "samples" / "samples.jsonl")] == [
        record["instruction"] for record in ALPACA_EVAL]


def test_a_missing_mapped_column_fails_the_runner_with_one_line(tiny_models, hf_home, tmp_path):
    result = run_runner("sft", "--model", tiny_models["model"], "--data", write_lines(tmp_path / "orca.jsonl", ORCA),
                        "--data-format", "prompt-completion", "--data-columns", "prompt=instruction", "--output", tmp_path / "out", home=hf_home)
    expected = (f"error: {tmp_path / 'orca.jsonl'} has the columns ['id', 'question', 'response', 'system_prompt'], not ['instruction']; "
                "map them in the spec: columns: {prompt: COLUMN, completion: COLUMN}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error: ")] == [expected]
    assert result.stderr.rstrip().endswith(expected)


def test_a_snapshot_subset_folder_is_read_as_the_subset(tmp_path):
    # HH-RLHF's subsets are folders of its repository, each with gzipped train and test files.
    import gzip

    for subset, counts in {"harmless-base": (1, 2), "helpful-base": (3, 1)}.items():
        (tmp_path / subset).mkdir()
        for split, count in zip(("train", "test"), counts):
            with gzip.open(tmp_path / subset / f"{split}.jsonl.gz", "wt") as handle:
                handle.write((json.dumps({"chosen": HH_CHOSEN, "rejected": HH_REJECTED}) + "\n") * count)
    assert len(loaded(tmp_path, "preference", subset="harmless-base", split="test")) == 2
    assert len(loaded(tmp_path, "preference", subset="helpful-base")) == 3
    assert len(loaded(tmp_path, "preference")) == 4, "without a subset, every folder's train split"


def test_alpaca_farm_subsets_are_a_folder_of_splits_and_a_file(tmp_path):
    # The repository's layout: alpaca_instructions/{sft,preference,unlabeled,val}.json and the human
    # preferences as one file at the top, whose split the spec names 'preference'.
    (tmp_path / "alpaca_instructions").mkdir()
    write_lines(tmp_path / "alpaca_instructions" / "sft.json", ALPACA_INSTRUCTIONS)
    write_lines(tmp_path / "alpaca_instructions" / "preference.json", ALPACA_INSTRUCTIONS[:1])
    write_lines(tmp_path / "alpaca_human_preference.json", ALPACA_PREFERENCE)
    write_lines(tmp_path / "alpaca_gpt4_preference.json", ALPACA_PREFERENCE[:1])
    (tmp_path / "alpaca_farm.py").write_text("# a loading script, which datasets no longer runs\n")
    pairs = loaded(tmp_path, "preference", subset="alpaca_human_preference", split="preference")
    assert list(pairs["chosen"]) == ["Apple.", "5"]
    assert len(loaded(tmp_path, "prompt-completion", subset="alpaca_instructions", split="sft")) == 2


def test_alpaca_eval_is_its_file_read_as_the_eval_split(tmp_path):
    # tatsu-lab/alpaca_eval: alpaca_eval.json beside other files, the 'alpaca_eval' configuration.
    write_lines(tmp_path / "alpaca_eval.json", ALPACA_EVAL)
    write_lines(tmp_path / "alpaca_eval_gpt4_baseline.json", ALPACA_EVAL[:1])
    records = loaded(tmp_path, "prompt-completion", subset="alpaca_eval", split="eval")
    assert list(records["prompt"]) == ["What are the names of some famous actors?", "Write a short poem."]


def test_toxigen_annotated_rows_are_statements_in_a_file_and_in_a_fetched_snapshot(tmp_path):
    toxigen = FIXTURES / "toxigen-annotated.jsonl"
    found = statements(loaded(toxigen, "statements"), str(toxigen))
    assert len(found) == 30 and {statement["group"] for statement in found} == {"asian", "jewish", "mental_dis", "middle_east"}
    assert found[0] == {"id": "0", "text": "many asian families celebrate the lunar new year with food and visits to relatives",
                        "group": "asian", "toxicity": 1.0}
    # toxigen/toxigen-data keeps each configuration in its folder: annotated/{train,test}-00000-of-00001.parquet.
    (tmp_path / "annotated").mkdir()
    loaded(toxigen, "statements").to_parquet(str(tmp_path / "annotated" / "train-00000-of-00001.parquet"))
    loaded(toxigen, "statements").select(range(3)).to_parquet(str(tmp_path / "annotated" / "test-00000-of-00001.parquet"))
    assert statements(loaded(tmp_path, "statements", subset="annotated"), str(tmp_path)) == found
    assert len(loaded(tmp_path, "statements", subset="annotated", split="test")) == 3


def test_statements_name_the_file_the_row_and_the_column_they_lack(tmp_path):
    records = read_lines(FIXTURES / "toxigen-annotated.jsonl")[:4]
    unrated = write_lines(tmp_path / "unrated.jsonl", [{k: v for k, v in record.items() if k != "toxicity_human"} for record in records])
    with pytest.raises(RunnerError, match=r"unrated.jsonl: statements data lacks the column toxicity_human \(ToxiGen annotated: "
                                          r"text, target_group, toxicity_human\); it has \[.*\]; map them in the spec: columns: "
                                          r"\{text: COLUMN, target_group: COLUMN, toxicity_human: COLUMN\}"):
        loaded(unrated, "statements")
    renamed = write_lines(tmp_path / "renamed.jsonl", [{"sentence": record["text"], "group": record["target_group"],
                                                         "rating": record["toxicity_human"]} for record in records])
    mapped = loaded(renamed, "statements", columns=["text=sentence", "target_group=group", "toxicity_human=rating"])
    assert statements(mapped, str(renamed)) == statements(loaded(write_lines(tmp_path / "plain.jsonl", records), "statements"), "plain")
    off_scale = write_lines(tmp_path / "off-scale.jsonl", records[:2] + [{**records[2], "toxicity_human": 7.0}])
    with pytest.raises(RunnerError, match=r"off-scale.jsonl: row 3: toxicity_human must be a rating from 1 to 5, not 7.0"):
        statements(loaded(off_scale, "statements"), str(off_scale))
    nameless = write_lines(tmp_path / "nameless.jsonl", [{**records[0], "target_group": " "}])
    with pytest.raises(RunnerError, match=r"nameless.jsonl: row 1: target_group must name a group, not ' '"):
        statements(loaded(nameless, "statements"), str(nameless))
