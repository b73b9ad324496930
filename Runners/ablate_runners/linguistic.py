"""Linguistic features of a dataset and of a model's samples: sentence length, sentiment,
part-of-speech mix and lemmas, the analysis of "Investigating Collapse on RL Fine-Tuning Data
Distribution" (does an RLHF model overfit to the properties of its fine-tuning data?).

    python -m ablate_runners.linguistic [--data PATH [--data-format F ...]] [--samples DIR]
        [--features length sentiment pos lemmas] [--seed S] --output DIR

The texts of a dataset are its responses: `completion`, `chosen` (preference data) or the
assistant turns of `messages`; a dataset without responses (prompt-only, multiple-choice) gives its
prompts. The texts of samples are every sample of every prompt.

All of it runs offline, on the pattern tools bundled with TextBlob (no NLTK data): sentences and
words from pattern's tokenizer, Penn Treebank tags from TextBlob's PatternTagger mapped to the
universal tagset of Petrov et al. (2012), sentiment from the lexicon of TextBlob's PatternAnalyzer
(given those tokens, so that contractions such as isn't negate), lemmas from lemminflect given
each word's universal tag.

Words are the tokens with a letter or a digit (punctuation is not counted). Metrics, prefixed
with the source (data/ or samples/): sentence_length/mean and /std (words per sentence),
sentiment/polarity (-1..1) and sentiment/subjectivity (0..1) (means over texts), pos/TAG (each
universal tag's share of the words: NOUN, VERB, ADJ, ADV, PRON, DET, ADP, NUM, CONJ, PRT, X),
lemmas/distinct, lemmas/type_token_ratio and texts. Writes metrics.json and, for samples,
items.jsonl: per prompt, the sentence length mean, sentiment and POS shares of its samples (lemma
counts depend on the amount of text and stay out).
"""

import argparse
import statistics
from collections import Counter

from . import manifest
from .common import RunnerError, fail, read_samples, write_metrics
from .data import add_dataset_arguments, load_records, prompts_of

KIND = "linguistic"
FEATURES = ["length", "sentiment", "pos", "lemmas"]
UNIVERSAL_TAGS = ["NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", "X"]
PENN_TO_UNIVERSAL = {
    **dict.fromkeys(["NN", "NNS", "NNP", "NNPS", "NP"], "NOUN"),
    **dict.fromkeys(["MD", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ"], "VERB"),
    **dict.fromkeys(["JJ", "JJR", "JJS"], "ADJ"),
    **dict.fromkeys(["RB", "RBR", "RBS", "WRB"], "ADV"),
    **dict.fromkeys(["PRP", "PRP$", "WP", "WP$"], "PRON"),
    **dict.fromkeys(["DT", "PDT", "WDT", "EX"], "DET"),
    "IN": "ADP", "CD": "NUM", "CC": "CONJ",
    **dict.fromkeys(["POS", "RP", "TO"], "PRT"),
}
LEMMATISED = {"NOUN", "VERB", "ADJ", "ADV"}
PER_ITEM = ("sentence_length/mean", "sentiment/", "pos/")
# TextBlob's port of pattern's tokenizer splits every apostrophe (don't -> do n ' t, which also
# hides the negation from the sentiment lexicon); behind this private-use character the
# apostrophes reach it whole, and it splits only the contractions it knows (do n't, Smith 's).
APOSTROPHE = "\ue000"


def sentences(text):
    """The sentences of a text, each a list of tokens (words and punctuation)."""
    from textblob import en
    from textblob._text import PUNCTUATION, replacements

    hidden = {key.replace("'", APOSTROPHE): value.replace("'", APOSTROPHE) for key, value in replacements.items()}
    found = en.parser.find_tokens(text.replace("'", APOSTROPHE), punctuation=PUNCTUATION + APOSTROPHE, replace=hidden)
    return [sentence.replace(APOSTROPHE, "'").split() for sentence in found if sentence.strip()]


def lemma(word, penn, universal):
    from lemminflect import getLemma

    if penn.startswith("NNP"):
        return word
    if universal in LEMMATISED:
        return (getLemma(word.lower(), universal) or (word.lower(),))[0]
    return word.lower()


def analyse(text):
    """One text's sentence lengths, sentiment, universal tags and lemmas (of its words)."""
    from textblob.en import sentiment
    from textblob.taggers import PatternTagger

    tagger = PatternTagger()
    lengths, tags, lemmas, tokens = [], [], [], []
    for sentence in sentences(text):
        tagged = tagger.tag(" ".join(sentence), tokenize=False)
        words = [(word, penn, PENN_TO_UNIVERSAL.get(penn, "X")) for word, penn in tagged if any(character.isalnum() for character in word)]
        tokens += sentence
        if words:
            lengths.append(len(words))
            tags += [universal for _, _, universal in words]
            lemmas += [lemma(*word) for word in words]
    polarity, subjectivity = sentiment([token.lower() for token in tokens])
    return {"lengths": lengths, "polarity": polarity, "subjectivity": subjectivity, "tags": tags, "lemmas": lemmas}


def summarise(analyses, features):
    """The features of a group of texts, from their analyses."""
    values = {"texts": len(analyses)}
    if "length" in features:
        lengths = [length for analysis in analyses for length in analysis["lengths"]]
        values["sentence_length/mean"] = statistics.fmean(lengths) if lengths else None
        values["sentence_length/std"] = statistics.pstdev(lengths) if lengths else None
    if "sentiment" in features:
        values["sentiment/polarity"] = statistics.fmean(analysis["polarity"] for analysis in analyses)
        values["sentiment/subjectivity"] = statistics.fmean(analysis["subjectivity"] for analysis in analyses)
    if "pos" in features:
        counts = Counter(tag for analysis in analyses for tag in analysis["tags"])
        total = sum(counts.values())
        values.update({f"pos/{tag}": counts[tag] / total if total else None for tag in UNIVERSAL_TAGS})
    if "lemmas" in features:
        lemmas = [word for analysis in analyses for word in analysis["lemmas"]]
        values["lemmas/distinct"] = len(set(lemmas))
        values["lemmas/type_token_ratio"] = len(set(lemmas)) / len(lemmas) if lemmas else None
    return values


def content(value):
    """A response's text: a string, or the assistant contents of a list of messages."""
    if isinstance(value, str):
        return value
    return "\n\n".join(message["content"] for message in value if message.get("role") == "assistant")


def texts_of(dataset):
    columns = set(dataset.column_names)
    for column in ("completion", "chosen", "messages"):
        if column in columns:
            return [content(value) for value in dataset[column]]
    return prompts_of(dataset)


def sample_features(prompts, features):
    """(scalars, items) of the samples, named samples/..."""
    analyses = [[analyse(sample) for sample in prompt["samples"]] for prompt in prompts]
    scalars = summarise([analysis for group in analyses for analysis in group], features)
    items = []
    for prompt, group in zip(prompts, analyses):
        values = {f"samples/{key}": value for key, value in summarise(group, features).items() if key.startswith(PER_ITEM)}
        items.append({"item": prompt["id"], **values})
    return {f"samples/{key}": value for key, value in scalars.items()}, items


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(prog="python -m ablate_runners.linguistic", description=__doc__.split("\n")[0])
    add_dataset_arguments(flags, "data")
    flags.add_argument("--samples", help="a directory holding samples.jsonl, or the file")
    flags.add_argument("--features", nargs="+", choices=FEATURES)
    flags.add_argument("--seed", type=int, help="for --data-sample")
    flags.add_argument("--output", required=True)
    manifest.apply_defaults(flags, KIND)
    return flags


def main(arguments=None):
    options = parser().parse_args(arguments)
    try:
        if not options.data and not options.samples:
            raise RunnerError("nothing to analyse: give --data, --samples or both")
        scalars, items = {}, None
        if options.data:
            texts = texts_of(load_records(options, "data", seed=options.seed))
            scalars.update({f"data/{key}": value for key, value in summarise([analyse(text) for text in texts], options.features).items()})
        if options.samples:
            sample_scalars, items = sample_features(read_samples(options.samples), options.features)
            scalars.update(sample_scalars)
    except RunnerError as error:
        fail(str(error))
    write_metrics(options.output, scalars, items)


if __name__ == "__main__":
    main()
