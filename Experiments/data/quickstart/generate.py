"""Writes the quickstart's data, a miniature of Kirk et al.'s summarisation study, from a fixed seed.

    python3 Experiments/data/quickstart/generate.py

Standard library only; running it again rewrites every file byte for byte.

The world: a writer visits a place and calls it two things, both pleasant or both unpleasant. A
good summary says how the visit went and names the place ("The writer enjoyed the zoo."); a vague
one says the same without the place ("The writer enjoyed it."). Half of the demonstrations are
vague, so the SFT policy is too; every preference pair prefers the specific summary to the vague
one in the same wording, which is what the reward model, best-of-N, PPO and DPO pick up.

Every reply is read in HH-RLHF's dialogue format ("\\n\\nHuman: Summarise: <post>\\n\\nAssistant:",
then the reply after a space), which is the tiny model's chat template: the samplers and PPO
write prompts in it, TRL writes the demonstrations in it (they are chat turns), and the reward
model and DPO read HH-RLHF's and SHP's text as it is, so their prompts are written in it here. A
reference summary starts with a space, as it follows the formatted prompt when the judge scores it.
So the policies, the reward model and the judge all see a reply in the context it was trained in.

instructions.jsonl         SFT demonstrations, prompt-completion as chat turns (also PPO's prompts)
preferences-hh.jsonl       reward model pairs, in HH-RLHF's layout
preferences-hh-test.jsonl  held-out reward model pairs (other posts): the reward model's accuracy
preferences-shp.jsonl      DPO pairs, in SHP's layout (`history` holds the prompt in the dialogue format)
summaries-id.jsonl         in-distribution prompts: new posts, each with a reference summary
summaries-ood.jsonl        out-of-distribution prompts: news reports about the same places, a form
                           no demonstration has ("Summarise this news report: Officials said ..."),
                           each with a reference summary
lm-eval-tasks/multiple-choice.jsonl
                           a new post and four summaries (enjoyed or disliked x its place or
                           another); the answer's position is drawn at random, so chance is 25%
No post appears in two files.
"""

import json
import random
from pathlib import Path

SEED = 19
HERE = Path(__file__).resolve().parent
COUNTS = {"instructions": 256, "preferences": 128, "preferences-test": 64, "dpo": 128, "id": 16, "ood": 16, "multiple-choice": 48}

PLACES = ["park", "museum", "beach", "market", "library", "garden", "castle", "harbour",
          "zoo", "cafe", "forest", "theatre", "lake", "bakery", "gallery", "stadium"]
PLEASANT = ["lovely", "great", "fun", "peaceful", "wonderful", "sunny"]
UNPLEASANT = ["awful", "boring", "noisy", "dull", "dirty", "cold"]
COMPANIONS = ["sister", "brother", "friend", "mum", "dad", "dog"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

POSTS = [
    "I went to the {place} with my {companion} on {day}. It was {first} and {second}.",
    "On {day} my {companion} and I visited the {place}. It was {first} and {second}.",
    "My {companion} took me to the {place} on {day}. We found it {first} and {second}.",
]
NEWS = "Officials said on {day} that the {place} drew {size} crowds this week. Visitors called it {first} and {second}."
# Summaries in three wordings; one word in each says whether the visit was pleasant.
SPECIFIC = ["The writer {verdict} the {place}.", "They {liked} the {place}.", "A {mood} visit to the {place}."]
VAGUE = ["The writer {verdict} it.", "They {liked} it.", "A {mood} visit."]
VERDICT = {True: "enjoyed", False: "disliked"}
LIKED = {True: "liked", False: "hated"}
MOOD = {True: "good", False: "bad"}


def dialogue(request):
    """The request as the tiny model's chat template writes it (HH-RLHF's dialogue format); a reply
    follows it after a space."""
    return f"\n\nHuman: {request}\n\nAssistant:"


def visit(rng):
    """One visit: its place, company, day, sentiment and the two words for it."""
    pleasant = rng.random() < 0.5
    first, second = rng.sample(PLEASANT if pleasant else UNPLEASANT, 2)
    return {"place": rng.choice(PLACES), "companion": rng.choice(COMPANIONS), "day": rng.choice(DAYS),
            "pleasant": pleasant, "first": first, "second": second, "size": rng.choice(["large", "small"])}


def post(rng, fields):
    return "Summarise: " + rng.choice(POSTS).format(**fields)


def news(rng, fields):
    return "Summarise this news report: " + NEWS.format(**fields)


def summary(fields, wording, specific=True):
    """The summary in one of the three wordings, with a leading space (it follows the prompt)."""
    pleasant = fields["pleasant"]
    template = (SPECIFIC if specific else VAGUE)[wording]
    return " " + template.format(place=fields["place"], verdict=VERDICT[pleasant], liked=LIKED[pleasant], mood=MOOD[pleasant])


class Posts:
    """Draws visits and their requests, never the same request twice."""

    def __init__(self, rng):
        self.rng, self.seen = rng, set()

    def draw(self, make=post):
        while True:
            fields = visit(self.rng)
            request = make(self.rng, fields)
            if request not in self.seen:
                self.seen.add(request)
                return fields, request


def preference_pair(rng, fields):
    """(chosen, rejected): the specific summary over the vague one in the same wording, so that
    naming the place is all that tells them apart."""
    wording = rng.randrange(3)
    return summary(fields, wording), summary(fields, wording, specific=False)


def demonstrations(rng, posts, count):
    for index in range(count):
        fields, request = posts.draw()
        reply = summary(fields, rng.randrange(3), specific=index % 2 == 0).lstrip()
        yield {"prompt": [{"role": "user", "content": request}], "completion": [{"role": "assistant", "content": reply}]}


def hh_pairs(rng, posts, count):
    for _ in range(count):
        fields, request = posts.draw()
        chosen, rejected = preference_pair(rng, fields)
        yield {"chosen": dialogue(request) + chosen, "rejected": dialogue(request) + rejected}


def shp_pairs(rng, posts, count):
    """SHP's columns: comment A is preferred when `labels` is 1; the scores agree with the label."""
    for index in range(count):
        fields, request = posts.draw()
        chosen, rejected = preference_pair(rng, fields)
        a_preferred = rng.random() < 0.5
        high, low = 3 + index % 17, 1 + index % 3
        yield {"post_id": f"q{index:03d}", "domain": "askquickstart_train", "upvote_ratio": 0.9, "history": dialogue(request),
               "c_root_id_A": f"a{index:03d}", "c_root_id_B": f"b{index:03d}", "created_at_utc_A": 1700000000 + index,
               "created_at_utc_B": 1700000100 + index, "score_A": high if a_preferred else low, "score_B": low if a_preferred else high,
               "human_ref_A": chosen if a_preferred else rejected, "human_ref_B": rejected if a_preferred else chosen,
               "labels": int(a_preferred), "seconds_difference": 100.0, "score_ratio": round(high / low, 3)}


def references(posts, count, make, subject="The writer"):
    """Requests with a reference summary: the specific one in the first wording, about `subject`."""
    for _ in range(count):
        fields, request = posts.draw(make)
        yield {"prompt": request, "completion": f" {subject} {VERDICT[fields['pleasant']]} the {fields['place']}."}


def multiple_choice(rng, posts, count):
    """A post and four summaries: enjoyed or disliked, of its place or another; chance is 25%."""
    for _ in range(count):
        fields, request = posts.draw()
        other = rng.choice([place for place in PLACES if place != fields["place"]])
        options = [(pleasant, place) for pleasant in (True, False) for place in (fields["place"], other)]
        rng.shuffle(options)
        yield {"question": dialogue(request), "choices": [f"The writer {VERDICT[pleasant]} the {place}." for pleasant, place in options],
               "answer": options.index((fields["pleasant"], fields["place"]))}


def write(name, records):
    path = HERE / name
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def main():
    rng = random.Random(SEED)
    posts = Posts(rng)
    write("instructions.jsonl", demonstrations(rng, posts, COUNTS["instructions"]))
    write("preferences-hh.jsonl", hh_pairs(rng, posts, COUNTS["preferences"]))
    write("preferences-hh-test.jsonl", hh_pairs(rng, posts, COUNTS["preferences-test"]))
    write("preferences-shp.jsonl", shp_pairs(rng, posts, COUNTS["dpo"]))
    write("summaries-id.jsonl", references(posts, COUNTS["id"], post))
    write("summaries-ood.jsonl", references(posts, COUNTS["ood"], news, subject="Visitors"))
    write("lm-eval-tasks/multiple-choice.jsonl", multiple_choice(rng, posts, COUNTS["multiple-choice"]))


if __name__ == "__main__":
    main()
