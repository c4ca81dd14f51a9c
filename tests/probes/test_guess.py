"""Guesses for the HF engine: prompt lookup, and how many guesses a step feeds."""

from probes.backends.guess import DraftLength, PromptLookup


def test_prompt_lookup_prefers_the_longest_match_and_its_earliest_occurrence():
    row = PromptLookup([1, 2, 3, 9, 2, 3, 8, 3])
    assert row.draft(2) == [9, 2]  # (3,): earliest occurrence, followed by 9
    row.tokens.append(9)
    assert row.draft(3) == [2, 3, 8]  # (3, 9) beats the later, shorter matches
    row.tokens.append(5)
    assert row.draft(3) == []  # 5 never occurred before
    assert PromptLookup([]).draft(3) == []


def test_draft_length_follows_the_confirmations():
    length = DraftLength(4, cost=0.2)
    assert length.choose() == 4
    for _ in range(20):
        length.update(4, [1, 1, 1, 1])  # the first guess always right, the second never
    assert length.choose() == 1
    for _ in range(20):
        length.update(1, [0, 0, 0, 0])
    steps = [length.choose() for _ in range(112)]
    # Off, but trying all guesses now and then, waiting twice as long after each probe that finds nothing.
    assert [i for i, k in enumerate(steps) if k] == [15, 47, 111] and {steps[15], steps[47], steps[111]} == {4}
    for _ in range(20):
        length.update(4, [4, 4, 4, 4])
    assert length.choose() == 4
    assert DraftLength(3, cost=0).choose() == 3
