"""Parse stage: each extractor on small inline lectures."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen.model import Lecture
from deckgen.parse import clean_heading

Parse = Callable[[str], Lecture]

TEMPLATE = """
---
title: Speed Matters
description: A lecture.
---

# Speed Matters

## Overview
Welcome to this lecture about speed, which is prose and holds nothing to memorise at all.

## Learning Objectives
- Understand **speed**.
- Apply the STAR framework.

## Key Concepts
### 1. Execution Speed
- **Definition**: Acting fast to deliver results.
- **Key Aspects**: Quick decisions, fewer delays.
- **Examples**: Ship a fix in a day.

### 2. Relation to Previous Sections
- **Algorithms** (Section 1): links back.

## Strategies for Speed
### 1. Prioritizing Speed
- **Decide Quickly**: Make pragmatic choices.
- **Example**: Ship in one sprint.

### STAR Example: Speed
**Question**: “Tell me about a time you went fast.”
- **Situation**: “We were slow.”
- **Task**: “I owned the fix.”
- **Action**: “I cached things.”
- **Result**: “Latency fell 40%.”

## Meta-Specific Tips
- **Execution Speed**:
  - Highlight rapid action.
  - Show measurable impact.
- **General Tips**:
  - Use metrics.

## Practice Exercise
**Question**: “Tell me about a time you accelerated a project.”
1. **Craft a STAR Response**:
   - **Situation**: Describe the context.
   - **Task**: Clarify your role.
   - **Action**: List actions.
   - **Result**: Quantify the outcome.

**Sample Response (Speed)**:
- **Situation**: “A launch was at risk.”
- **Task**: “I led the effort.”
- **Action**: “I cut scope.”
- **Result**: “We launched on time.”

## Conclusion
That is all, and this conclusion is prose that should not become a card.

**Next Step**: Explore [the next one](/next).

---

<footer>
  <p>&copy; 2025 Somebody.</p>
</footer>
"""


def test_template_lecture(parse_text: Parse) -> None:
    lec = parse_text(TEMPLATE)
    assert lec.title == "Speed Matters"
    assert [o.text for o in lec.objectives] == [
        "Understand **speed**.",
        "Apply the STAR framework.",
    ]
    assert lec.objectives_line == 11
    assert [c.name for c in lec.concepts] == ["Execution Speed"]
    concept = lec.concepts[0]
    assert concept.definition == "Acting fast to deliver results."
    assert concept.key_aspects == "Quick decisions, fewer delays."
    assert concept.examples == "Ship a fix in a day."
    assert concept.line == 16
    [strategy] = lec.strategies
    assert strategy.name == "Prioritizing Speed"
    assert [t.label for t in strategy.tactics] == ["Decide Quickly"]
    assert strategy.example == "Ship in one sprint."
    assert [g.name for g in lec.tip_groups] == ["Execution Speed", "General Tips"]
    assert [t.text for t in lec.tip_groups[0].tips] == [
        "Highlight rapid action.",
        "Show measurable impact.",
    ]
    assert lec.diagnostics == []


def test_star_stories_and_sample_response(parse_text: Parse) -> None:
    lec = parse_text(TEMPLATE)
    assert len(lec.stories) == 2  # the fill-in template in the exercise is not a story
    story, sample = lec.stories
    assert story.question == "“Tell me about a time you went fast.”"
    assert [p for p, _ in story.parts] == ["Situation", "Task", "Action", "Result"]
    assert story.parts[3][1] == "“Latency fell 40%.”"
    # A sample response answers the practice exercise's question.
    assert sample.question == "“Tell me about a time you accelerated a project.”"
    assert sample.parts[0][1] == "“A launch was at risk.”"


def test_no_cards_from_overview_conclusion_exercise_or_footer(parse_text: Parse) -> None:
    lec = parse_text(TEMPLATE)
    text = " ".join(s.body for s in lec.sections) + " ".join(" ".join(s.path) for s in lec.sections)
    assert "Welcome" not in text
    assert "conclusion is prose" not in text
    assert "footer" not in text and "Somebody" not in text
    assert "Describe the context" not in text
    assert all("Relation" not in c.name for c in lec.concepts)


def test_star_recap_without_question_is_a_concept(parse_text: Parse) -> None:
    lec = parse_text("""
        # STAR

        ## Key Concepts
        ### 1. The STAR Framework
        The **STAR framework** structures answers:
        - **Situation**: Describe the context.
        - **Task**: Explain your responsibility.
        - **Action**: Detail the steps.
        - **Result**: Highlight the outcome.
        """)
    assert lec.stories == []
    # No definition: the labelled parts are a list, each asked with its label as the cue.
    assert lec.concepts == []
    [section] = lec.sections
    assert section.shape == "list" and section.path[-1] == "The STAR Framework"
    assert [e.label for e in section.entries] == ["Situation", "Task", "Action", "Result"]


def test_question_bullet_and_question_heading(parse_text: Parse) -> None:
    lec = parse_text("""
        # Mock

        ## Mock Interview
        ### Question 1: Leadership
        **Question**: “Tell me about leading a team.”
        - **Situation**: “Tight deadline.”
        - **Task**: “Deliver it.”
        - **Action**: “Set goals.”
        - **Result**: “On time.”

        ### Sample Answer
        - **Question**: “Why this company?”
        - **Situation**: “I like scale.”
        - **Result**: “I applied.”
        """)
    assert [s.question for s in lec.stories] == [
        "“Tell me about leading a team.”",
        "“Why this company?”",
    ]
    assert lec.stories[1].missing == ("Task", "Action")
    assert any(d.code == "incomplete-star" and "Task, Action" in d.message for d in lec.diagnostics)


def test_star_nested_under_tip_bullet(parse_text: Parse) -> None:
    lec = parse_text("""
        # Conflicts

        ## FAANG-Specific Tips
        - **Amazon (Dive Deep)**:
          - Focus: Analyse deeply.
          - Example: Resolve a dispute with data.
          - STAR Response:
            - **Situation**: “We disagreed.”
            - **Task**: “I aligned us.”
            - **Action**: “I used metrics.”
            - **Result**: “We shipped.”
        """)
    # The example scenario is what the interviewer asks about: it becomes the question.
    [story] = lec.stories
    assert story.question == "Tell me about a time when you had to: resolve a dispute with data."
    asked = parse_text("""
        # Conflicts

        ## FAANG-Specific Tips
        - **Amazon (Dive Deep)**:
          - Example Question: “Tell me about a time you used data to settle a dispute.”
          - STAR Response:
            - **Situation**: “We disagreed.”
            - **Task**: “I aligned us.”
            - **Action**: “I used metrics.”
            - **Result**: “We shipped.”
        """)
    [story] = asked.stories
    assert story.question == "“Tell me about a time you used data to settle a dispute.”"
    [group] = lec.tip_groups
    assert [t.text for t in group.tips] == [
        "Focus: Analyse deeply.",
        "Example: Resolve a dispute with data.",
    ]


def test_term_lists_anywhere(parse_text: Parse) -> None:
    lec = parse_text("""
        # Glossary

        ## Building Blocks
        - **DNS** → translates names to addresses.
        - **NAT**: lets private devices share one IP.
        - **TLS:** encrypts traffic.
        - `TCP`: reliable transport.
        """)
    assert [(t.term, t.definition) for t in lec.terms] == [
        ("DNS", "translates names to addresses."),
        ("NAT", "lets private devices share one IP."),
        ("TLS", "encrypts traffic."),
        ("TCP", "reliable transport."),
    ]
    assert lec.sections == []  # the list was fully claimed by terms


def test_key_concepts_as_term_bullets_and_bold_paragraph_labels(parse_text: Parse) -> None:
    lec = parse_text("""
        # Principles

        ## Key Concepts
        - **Cohesion**: things that change together live together.
        - **Coupling**: how much modules depend on each other.

        ### 1. KISS
        **Definition:** Keep designs simple.

        **Examples**: Remove an unused layer.
        """)
    assert [t.term for t in lec.terms] == ["Cohesion", "Coupling"]
    [concept] = lec.concepts
    assert concept.definition == "Keep designs simple."
    assert concept.examples == "Remove an unused layer."


def test_generic_sections_become_recall_sections(parse_text: Parse) -> None:
    lec = parse_text("""
        # Cache Strategies

        Caching reduces load on databases and improves latency for users.

        ## 1. Cache-aside
        ### How it works
        - Application checks the cache first, then the database on a miss.

        ### Request flow
        ```
        # not a heading: a comment in a code fence
        GET -> cache -> db
        ```

        ### Q1: *What is a cache miss?*
        **Answer:** A read that finds nothing in the cache.
        """)
    paths = [s.path for s in lec.sections]
    # The text before the first section introduces the lecture: it makes no section.
    assert ("Cache Strategies",) not in paths
    assert ("Cache-aside", "How it works") in paths
    assert ("Cache-aside", "Request flow") in paths
    assert ("Cache-aside", "Q1: What is a cache miss?") in paths
    qa = lec.sections[paths.index(("Cache-aside", "Q1: What is a cache miss?"))]
    assert qa.body == "A read that finds nothing in the cache."
    flow = lec.sections[paths.index(("Cache-aside", "Request flow"))]
    assert "# not a heading" in flow.body


def test_title_fallbacks(parse_text: Parse) -> None:
    assert parse_text("# **Bold Title**\n\nSome text here.\n").title == "Bold Title"
    assert parse_text("No heading, just text that is long enough.\n").title == "Lecture"


def test_links_only_page_has_nothing(parse_text: Parse) -> None:
    lec = parse_text("""
        # Section Hub

        - [First lecture](/a)
        - [Second lecture](/b)

        **Next Step**: Start with [the first](/a).
        """)
    assert not (lec.sections or lec.terms or lec.concepts or lec.stories or lec.tip_groups)


def test_clean_heading() -> None:
    assert clean_heading("### 2.1 How RSA Works".lstrip("# ")) == "How RSA Works"
    assert clean_heading("**1. Fundamentals**") == "Fundamentals"
    assert clean_heading("📦 1. Memory Allocation") == "Memory Allocation"
    assert clean_heading("Step 3: IP & Ports") == "IP & Ports"
    assert clean_heading("1) Setup") == "Setup"


QA_LECTURE = """
---
title: Consensus
---

# Consensus

## Interview Prep
### Q1: *What is a quorum?*
**Answer:** A majority.

### Q2: Why fence tokens?
**Answer:**
- To stop a stale leader from writing.

## Quick Checks
- **Q:** What is a lease? **A:** A lock with a timeout.
- Quiz: What does CAS stand for? (Answer: compare and swap)

**Q:** What breaks a tie?

**A:** A deterministic rule such as the lowest node id.

## Practice Questions
### Q3: What is split brain?
**Answer:** Two leaders at once.

### Exercise
Write your own answer to the scenario about a network partition in a cluster.
"""


def test_questions_with_answers(parse_text: Parse) -> None:
    lecture = parse_text(QA_LECTURE)
    prompts = {s.path[-1]: s.body for s in lecture.sections}
    # Question headings with an answer become cards however short the answer,
    # also inside a practice section (whose exercise stays out).
    assert "A majority." in prompts["Q1: What is a quorum?"]
    assert "stale leader" in prompts["Q2: Why fence tokens?"]
    assert "Two leaders at once." in prompts["Q3: What is split brain?"]
    assert not any("Exercise" in path for path in prompts)
    pairs = [(q.question, q.answer) for q in lecture.questions]
    assert pairs == [
        ("What is a lease?", "A lock with a timeout."),
        ("What does CAS stand for?", "compare and swap"),
        ("What breaks a tie?", "A deterministic rule such as the lowest node id."),
    ]
    assert all(q.context == "Quick Checks" for q in lecture.questions)


def test_task_lists_and_containers_are_content(parse_text: Parse) -> None:
    lecture = parse_text(
        """
        # Ops

        ## Launch Checklist
        - [ ] Load test the write path
        - [x] Add a dashboard for errors
        - [ ] Write the runbook

        ## Failover
        ::: warning Split brain
        Two primaries can accept writes.

        - Fence the old primary.
        :::

        After failover, replay the log.
        """
    )
    bodies = {s.path[-1]: s.body for s in lecture.sections}
    assert "Load test the write path" in bodies["Launch Checklist"]
    failover = bodies["Failover"]
    assert failover.count(":::") == 2 and "replay the log" in failover
    from deckgen.render import block_html

    html = block_html(failover)
    assert '<div class="dg-callout dg-callout-warning">' in html
    # The callout closes after its list and before the paragraph that follows it.
    assert html.index("Fence the old primary") < html.rindex("</div>") < html.index("replay")
    assert "☐ Load test" in block_html(bodies["Launch Checklist"])


def test_section_rules_are_tried_in_order() -> None:
    from deckgen.parse import SECTION_RULES

    names = [name for name, _, _ in SECTION_RULES]
    assert names[-1] == "generic"  # the catch-all comes last
    assert len(names) == len(set(names))


_INLINE_ALPHABET = st.sampled_from(
    [
        *"ab &;#xX019\n\r\t\0 :!?{}()]>-+=%@^",
        *("&amp;", "&lt;span&gt;", "&#65;", "&#x1F600;", "&#0;", "&#99999999;"),
        *("&nosuchname;", "&nbsp;", "&ngE;", "<b>", "**", "`", "$", "["),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_INLINE_ALPHABET, max_size=30).map("".join))
def test_plain_text_is_what_markdown_it_parses(source: str) -> None:
    """plain_text decodes markup-free text itself: the same text markdown-it gives."""
    from deckgen.render import _INLINE_HTML_RE, _parsed_text, plain_text

    expected = " ".join(_INLINE_HTML_RE.sub("", _parsed_text(source.strip())).split())
    assert plain_text.__wrapped__(source) == expected


def test_plain_text_of_a_long_run_of_entities_is_fast() -> None:
    import time

    from deckgen.render import plain_text

    start = time.process_time()
    assert plain_text.__wrapped__("&amp;" * 900_000) == "&" * 900_000
    assert time.process_time() - start < 2  # (markdown-it: a token per entity, ~5 s)
