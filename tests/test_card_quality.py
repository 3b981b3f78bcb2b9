"""Card quality: the smells of shared/card-quality.md stay under their limits, and each rule
holds on a small lecture."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from deckgen import cards, smells
from deckgen.build import BuildOptions, collect
from deckgen.cards import build_notes
from deckgen.model import CLOZE_RE, Lecture
from deckgen.smells import SMELLS, lecture_smells, tally

Parse = Callable[[str], Lecture]

# Share of cards allowed per smell on the corpus (issue #10's limits).
LIMITS = {
    "furniture": 0.01,
    "long-answer": 0.03,
    "generic-term": 0.005,
    "answer-visible": 0.005,
    "lead-in": 0.005,
    "duplicate": 0.01,
    "smelly": 0.06,
}


def test_corpus_smells_stay_under_their_limits(corpus: Path) -> None:
    results, _ = collect([corpus], BuildOptions(root=corpus))
    totals: Counter[str] = Counter()
    for result in results:
        totals.update(tally(lecture_smells(result.notes)))
    assert totals["cards"] > 300
    shares = {smell: totals[smell] / totals["cards"] for smell in [*SMELLS, "smelly"]}
    over = {s: round(v, 4) for s, v in shares.items() if v > LIMITS[s]}
    assert not over, over


def _texts(lecture: Lecture) -> str:
    return "\n".join(f for n in build_notes(lecture) for f in n.fields)


def test_objectives_motivation_and_recaps_make_no_cards(parse_text: Parse) -> None:
    lecture = parse_text("""
        # Caching

        ## Learning Objectives
        - Understand cache invalidation.

        ## Why Caching Matters
        Caching helps you:
        - **Cut Latency**: serve reads from memory.

        ## Key Takeaways
        - Caches trade freshness for speed.
        """)
    assert build_notes(lecture) == []


def test_intent_sentence_becomes_a_definition(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            ---
            title: Circuit Breaker Pattern
            ---
            # Circuit Breaker Pattern

            ## Intent
            > The Circuit Breaker Pattern prevents cascading failures by failing fast.
            """)
    )
    assert note.field("Prompt") == "What is the intent of the <b>Circuit Breaker Pattern</b>?"
    assert "cascading failures" in note.field("Answer")


def test_reason_labels_are_clozed_not_asked_as_terms(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Two Pointers

            ## Benefits
            - **Optimize Performance**: cut quadratic scans to one pass.
            - **Save Memory**: no auxiliary arrays.
            """)
    )
    assert [n.kind for n in notes] == ["recall"]
    assert notes[0].model == "cloze"
    text = notes[0].field("Text")
    assert "<b>Optimize Performance</b>: {{c1::" in text


def test_arrow_items_hide_the_fact_not_the_cue(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            # CAP

            ## Examples of Choices
            - Banking and payments → CP
            - Social media feeds → AP
            - Shopping carts at scale → AP
            """)
    )
    assert "Banking and payments → {{c1::CP}}" in note.field("Text")


def test_concept_card_asks_for_the_definition_only(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            # Speed

            ## Key Concepts
            ### 1. Execution Speed
            - **Definition**: Acting quickly to deliver results.
            - **Key Aspects**: Fast decisions, fewer hand-offs.
            - **Examples**: Shipping a fix in a day.
            """)
    )
    assert note.field("Prompt") == "What is <b>Execution Speed</b>?"
    assert "Acting quickly" in note.field("Answer") and "Fast decisions" not in note.field("Answer")
    assert "Fast decisions" in note.field("Extra")


def test_long_code_is_context_and_the_idea_is_asked(parse_text: Parse) -> None:
    code = "\n".join(f"    int x{i} = {i};" for i in range(20))
    [note] = build_notes(
        parse_text(
            "# Windows\n\n## Sliding Window (O(n))\n\n"
            "The window grows on the right and shrinks from the left past repeats.\n\n"
            f"```java\nclass W {{\n{code}\n}}\n```\n"
        )
    )
    assert "what is the idea?" in note.field("Prompt")
    assert "<pre" not in note.field("Answer") and "<pre" in note.field("Extra")


def test_table_cells_repeating_their_headers_are_not_asked(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            # Lists

            ## Comparison
            | Aspect | Array | Linked List |
            | --- | --- | --- |
            | Access | O(1) | O(n) |
            | Random access | ✅ Yes | ❌ No |
            | Memory | Array | Nodes with pointers |
            """)
    )
    text = note.field("Text")
    assert "{{c1::O(1)}}" in text
    assert "::✅" not in text and "::❌" not in text and "::Array}}" not in text


def test_a_retold_story_is_one_story(parse_text: Parse) -> None:
    story = """
        - **Situation**: “Our notification system was too slow for a launch.”
        - **Task**: “I owned the latency budget for the launch.”
        - **Action**: “I added a cache and cut the test cycle to one day.”
        - **Result**: “Delivery time dropped by forty percent.”
        """
    notes = build_notes(
        parse_text(
            "# Speed\n\n## STAR Example\n**Question**: “Tell me about speed.”\n"
            + story.replace("        ", "")
            + "\n## Practice Exercise\n**Question**: “Tell me about speed.”\n\n"
            "**Sample Response (Speed)**:\n" + story.replace("        ", "")
        )
    )
    assert [n.kind for n in notes] == ["star"]


def test_stated_complexities_are_asked_per_measure(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Windows

            ## Naive Solution (O(n²))
            Check every substring.

            - **Big O**: O(n²) time (nested loops), O(n) space (a set).
            - Simple to write.
            - Slow on long inputs.
            """)
    )
    asked = {n.field("Prompt"): n.field("Answer") for n in notes if n.kind == "complexity"}
    assert asked == {
        "<b>Naive Solution</b> — time complexity?": "O(n²)",
        "<b>Naive Solution</b> — space complexity?": "O(n)",
    }
    # What the source says of each (the structure it uses) is on the back.
    extra = {n.field("Prompt"): n.field("Extra") for n in notes if n.kind == "complexity"}
    assert extra["<b>Naive Solution</b> — space complexity?"] == "a set"
    # The Big O item is claimed: the section's other items are not asked with it again.
    assert not any("O(n²) time" in n.fields[0] for n in notes if n.kind == "recall")


def _asked(notes: list) -> list[str]:
    """Every hidden answer (cloze contents, Q&A answers) of ``notes``, as plain text."""
    out: list[str] = []
    for note in notes:
        if note.model == "qa":
            out.append(re.sub(r"<[^>]+>", "", note.field("Answer")))
        else:
            out += [re.sub(r"<[^>]+>", "", c) for _, c in CLOZE_RE.findall(note.fields[0])]
    return out


def test_a_fact_is_asked_once_however_it_is_dressed(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Pizza Builder

            ## The Builder Pattern
            - Keeps the object **immutable** (fields are final).
            - Provides a **fluent API** for optional toppings.

            ## Advantages
            - Supports immutability.
            - Improves readability with fluent API.
            - Catches missing crusts before building.

            ## Strategy
            ### Demonstrating Ownership
            - Take responsibility for end-to-end outcomes, beyond your role.
            - Think long-term about company-wide impact.

            ## Interview Tips
            - Highlight end-to-end responsibility (e.g., “I owned the upgrade”).
            - Mention the oven temperature you chose.
            """)
    )
    asked = _asked(notes)
    assert asked.count("immutable") == 1 and "Supports immutability." not in asked
    assert "Improves readability with fluent API." not in asked
    assert "Catches missing crusts before building." in asked
    # The tip restates a strategy, so it is shown; the tip with news of its own is asked.
    assert "Highlight end-to-end responsibility" not in asked
    assert "Mention the oven temperature you chose." in asked


def test_a_term_list_is_asked_as_terms_only(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Web

            ## The Server Responds
            - **HTML** → the structure of the page.
            - **CSS** → the styling of the page.
            - **Images, videos, etc.**

            ## System Components
            - **Client**: Browser or mobile app calling services.
            - **API Gateway**: Routes requests to services (e.g., Spring Cloud Gateway).
            - **Message Queue**: Carries async messages between services (e.g., Kafka).
            - **Database**: Stores the service's data.
            """)
    )
    asked = _asked(notes)
    assert asked.count("the structure of the page.") == 1  # a term card, no cloze beside it
    assert {n.kind for n in notes} == {"term"}
    terms = {re.sub(r"<[^>]+>", "", n.field("Prompt")) for n in notes}
    # Parts every system has are named, not defined.
    assert not any("Client" in t or "Database" in t for t in terms)
    assert any("API Gateway" in t for t in terms)


def test_shown_items_keep_their_labels(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            # Breakers

            ## Benefits
            - **Fail Fast**: Users get a quick error instead of hanging.
            - **Fallbacks**: Degraded answers keep pages alive.
            - **Example**: Netflix trips the breaker during outages.
            """)
    )
    assert "<b>Example</b>: Netflix trips the breaker" in note.fields[0]


def test_study_advice_and_constant_time_trivia_are_not_asked(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Booking

            ## Interview Relevance Tips
            - Know RSA key generation and why RSA is used for key exchange.
            - Be able to describe a TLS handshake at a high level.

            ## Code Example: Booking
            ```java
            map.put(id, booking);
            ```
            - **Big O**: O(1) for `makeBooking` (map insertion).
            """)
    )
    assert not [n for n in notes if n.kind in ("tip", "complexity")]


def test_a_subject_is_defined_once(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Coupling

            ## ADP – Acyclic Dependencies Principle
            > Allow no cycles in the component dependency graph.

            ## The STAR Framework
            - **Situation**: Describe the context or challenge you faced.
            - **Action**: Detail the steps you took to fix it.

            ## Situation
            - **Purpose**: Set the stage with who, what, where and when.
            - **Tips**: Be concise and skip jargon.

            ## Interview Prep

            ### Q1: *What is the Acyclic Dependencies Principle (ADP)?*
            **Answer:** No cycles between components; break them with interfaces.

            ### Q2: *How do you break a dependency cycle?*
            **Answer:** Put an interface at the boundary and invert one dependency.

            ## Putting the principles together
            - ADP: Keep the graph free of loops.
            - Reuse: Share only what is released together.
            """)
    )
    asked = _asked(notes)
    # Stated under its own heading first: the interview question defining it again is not asked.
    assert not any("break them with interfaces" in a for a in asked)
    assert any("interface at the boundary" in a for a in asked)
    assert "Keep the graph free of loops." not in asked  # "ADP: …" restates ADP
    assert "Share only what is released together." in asked
    # "Purpose" under "Situation" says what Situation is, as "Situation: …" did.
    assert "Set the stage with who, what, where and when." not in asked
    assert "Be concise and skip jargon." in asked


def test_a_labelled_list_of_items_is_asked_item_by_item(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            # Shop

            ## Architecture
            - **Classes**:
              - `Catalog`: Holds product details and prices.
              - `Checkout`: Turns a cart into a paid order.
            - **Functionality**: Query products, place orders, notify users by email.
            - **Question**: “Explain how orders are priced.”
            """)
    )
    text = note.fields[0]
    hidden = [c for _, c in CLOZE_RE.findall(text)]
    # Each class is its own card, its name the visible cue; the question is never hidden.
    assert hidden[:2] == ["Holds product details and prices.", "Turns a cart into a paid order."]
    assert "Catalog</b>: {{c1::" in text
    assert "Explain how orders are priced." in CLOZE_RE.sub("", text)


def test_the_key_term_is_hidden_not_the_sentence(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Interviews

            ## The Builder Pattern
            - Keeps the object **immutable** after building.
            - Handles **defaults** for optional fields.

            ## Mock Interview Format
            - Simulates a 30–45 minute behavioral interview.
            - Includes 4–5 questions on leadership and conflict.

            ## Answering Common Questions
            - **Be Authentic**: Share genuine motivations for the role.
            - **Align with Values**: Tie answers to the company culture.

            ## Monolith Architecture
            - **Description**: One application handles every feature.
            - **Issues**: Limited scalability, tight coupling, slow deployments.
            """)
    )
    asked = _asked(notes)
    assert {"immutable", "defaults", "30–45 minute", "4–5 questions"} <= set(asked)
    # An advice label stays the cue of its explanation.
    assert "Share genuine motivations for the role." in asked
    assert "Be Authentic" not in asked
    # A labelled list of things: one thing per card.
    assert {"Limited scalability", "tight coupling", "slow deployments"} <= set(asked)


def test_prompts_ask_what_the_answer_says(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Systems

            ## RSA: The Foundation
            RSA is one of the earliest and most widely used asymmetric algorithms. It is old.

            ## Public Key Cryptography in TLS
            Public key cryptography is fundamental to HTTPS, which secures the web.

            ## What is a Distributed Transaction?
            A **transaction** is a unit of work executed atomically, all or nothing.
            In distributed systems, transactions span several services or databases at once.

            ## Bad (Cycle Present)
            ```java
            // Module A depends on Module B
            class A { B b; }
            ```
            This creates a cyclic dependency between the two modules.

            ## Routing
            - Routers forward packets hop by hop across networks.
            - Eventually the packet reaches the server hosting `example.com`.
            - Large networks exchange routes with **BGP** at their borders.
            """)
    )
    asked = {re.sub(r"<[^>]+>", "", n.field("Prompt")): n for n in notes if n.model == "qa"}
    assert "What is RSA?" in asked
    assert not any("Public Key Cryptography in TLS" in p for p in asked)  # says how it matters
    dt = asked["What is a Distributed Transaction?"]
    assert "span several services" in dt.field("Answer")
    [code] = [n for p, n in asked.items() if "what is wrong with this code?" in p]
    assert "Module A depends" not in code.field("Prompt")  # the comment would say the answer
    assert "example.com" not in _asked(notes)


def test_a_generated_list_is_judged_item_by_item(
    parse_text: Parse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the bounds that keep the checks linear, each card is judged by its own
    neighbourhood and no more items are compared (a dump stays fast to build)."""
    monkeypatch.setattr(smells, "MAX_WHOLE_FRONTS", 2)
    monkeypatch.setattr(cards, "MAX_COMPARED", 2)
    body = "\n".join(f"- Mention the {w} twice over." for w in ("alpha", "alpha", "gamma", "gamma"))
    [note] = build_notes(parse_text(f"# Dump\n\n## Interview Tips\n{body}\n"))
    found = smells.cards_of(note)
    assert [c.answer for c in found][:2] == ["Mention the alpha twice over."] * 2
    # The last card's front is its neighbourhood: its neighbour, not the first item.
    assert "gamma" in found[-1].front and "alpha" not in found[-1].front


def test_advice_an_earlier_card_asks_goes_on_its_back(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Amazon

            ## Strategy
            ### Demonstrating Ownership
            - Take responsibility for end-to-end outcomes, beyond your role.
            - Think long-term about company-wide impact.

            ## Amazon Tips
            - **Ownership**:
              - Highlight end-to-end responsibility (e.g., “I owned the upgrade”).
              - Stress long-term company-wide impact.
            """)
    )
    assert [n.kind for n in notes] == ["strategy"]
    [strategy] = notes
    assert "Highlight end-to-end responsibility" in strategy.field("Extra")


def test_lists_cues_and_announcements(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Designing a Ticket Engine

            ## Overview
            Designing a ticket engine is an LLD problem that tests your ability to model.

            ## Why only 20 partitions?
            Each worker performs:

            - paginated bulk reads
            - symbol extraction

            Replicas handle about 20 workloads. Increasing to 100 risked:

            - read spikes
            - saturated IOPS

            ## Interview Tips
            - Mention **failure modes** (cache crash, DB crash, network partition).
            - Show awareness of **trade-offs** and pick one.
            """)
    )
    assert not [n for n in notes if n.kind == "concept"]  # the overview speaks of the reader
    fronts = {CLOZE_RE.sub("", n.fields[0]): _asked([n]) for n in notes if n.kind == "recall"}
    # Each lead-in keeps its own list: the risks are not what a worker performs.
    [performs] = [a for f, a in fronts.items() if "Each worker performs" in f]
    assert performs == ["paginated bulk reads", "symbol extraction"]
    [risks] = [a for f, a in fronts.items() if "Increasing to 100 risked" in f]
    assert risks == ["read spikes", "saturated IOPS"]
    tips = _asked([n for n in notes if n.kind == "tip"])
    assert "cache crash, DB crash, network partition" in tips  # the examples, not the label
    assert "trade-offs" not in tips


def test_a_term_its_name_explains_is_asked_from_its_use(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Windows

            ## Sliding Window Technique
            - **Fixed Window**: The window keeps a fixed size (e.g., maximum sum of k elements).
            - **Variable Window**: Grows and shrinks as it scans (e.g., longest unique substring).

            ## Circuit States
            - **Closed (Normal)**: Calls flow normally while failures are counted.
            - **Open (Tripped)**: Calls fail fast until a cooldown passes.
            """)
    )
    asked = {re.sub(r"<[^>]+>", "", n.field("Prompt")): n.field("Answer") for n in notes}
    assert asked["Sliding Window Technique: which one is used for maximum sum of k elements?"] == (
        "<b>Fixed Window</b>"
    )
    assert "What is meant by Variable Window?" in asked  # its name does not say it
    assert "What is meant by Closed?" in asked  # "(Normal)" would say the answer
    assert "What is meant by Open (Tripped)?" in asked


def test_tips_keep_the_question_they_answer(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            # Internet

            ## Interview Tip
            When asked *“How does the internet work?”*, explain it as a journey:
            1. Browser → DNS → IP.
            2. Packet → Routing → NAT.
            """)
    )
    assert "How does the internet work?" in CLOZE_RE.sub("", note.fields[0])


def test_a_concepts_guidelines_are_asked_one_by_one(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Errors

            ## Key Concepts
            ### 1. Input Checks
            - **Definition**: Check inputs to prevent invalid states.
            - **Guidelines**: Reject bad payloads early, use clear error messages, fail fast.
            - **Example**: Check telemetry fields before processing.
            """)
    )
    assert [n.kind for n in notes] == ["concept", "advice"]
    assert _asked(notes[1:]) == [
        "Reject bad payloads early",
        "use clear error messages",
        "fail fast",
    ]
    assert "Guidelines" not in notes[0].field("Extra")  # asked, not kept for the back


def test_benefits_flawed_code_and_made_up_settings(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Breakers

            ## Benefits
            - **Fail Fast**: Users get a quick error instead of hanging.
            - **Fallbacks**: Degraded answers keep pages alive.

            ## Bad (Cycle Present)
            ```java
            // Module A depends on Module B
            class A { B b; }
            ```
            This creates a cyclic dependency between the two modules.

            ## Use Cases
            - Simplifying booking logic in a travel platform.
            - Streamlining user validation in a social app.
            """)
    )
    asked = _asked(notes)
    # Under a benefits heading the label is the cue (issue #10, rule 3).
    assert "Users get a quick error instead of hanging." in asked
    prompts = [re.sub(r"<[^>]+>", "", n.field("Prompt")) for n in notes if n.model == "qa"]
    assert any(p.startswith("Breakers: what is wrong with this code?") for p in prompts)
    assert not any("Cycle Present" in p for p in prompts)  # the heading would say it
    assert not any("travel platform" in a for a in asked)


def test_tips_named_after_a_strategy_join_its_back(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Meta

            ## Strategies
            ### Prioritizing Execution Speed
            - **Quick Decisions**: Make pragmatic choices under time pressure.
            - **Cut Steps**: Remove manual hand-offs from the release.

            ## Meta-Specific Tips
            - **Execution Speed**:
              - Highlight rapid action (e.g., “I shipped a fix in a day”).
              - Emphasize pragmatic decisions.
            - **General Tips**:
              - Quantify impact with latency numbers.
              - Show collaboration with product teams.
            """)
    )
    assert [n.kind for n in notes] == ["strategy", "tip"]
    assert "Highlight rapid action" in notes[0].field("Extra")
    assert "Quantify impact with latency numbers." in _asked(notes[1:])


def test_lone_tips_glosses_and_patterns(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Portfolio

            ## Why Lambda?
            NAV computation is:

            - periodic
            - embarrassingly parallel
            - stateless across cycles

            ## Why not Kafka?
            NAV computation is:

            - periodic (every 5 minutes)
            - deterministic
            - not triggered by user events

            ## Operational simplicity
            Monitoring:

            - 20 shards
            - 20 dashboards
            - 20 alert streams

            ## Interview Tips
            - **Practical Use**:
              - RSA and ECC secure HTTPS, SSH and software signing.
            """)
    )
    asked = _asked(notes)
    assert asked.count("periodic") == 1 and "periodic (every 5 minutes)" not in asked
    assert not any(a.startswith("20 ") for a in asked)  # guessed from the neighbours
    # A lone tip is shown on a card's back, not asked without a cue.
    assert not [n for n in notes if n.kind == "tip"]
    assert any("RSA and ECC secure HTTPS" in n.field("Extra") for n in notes)


def test_recaps_dependent_answers_requirements_and_closing_remarks(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Breakers

            ## Intent
            The Circuit Breaker pattern prevents cascading failures by monitoring service
            calls and short-circuiting failing ones.

            ## The Telescoping Constructor Problem
            ```java
            Pizza pizza = new Pizza("thin", "pesto");
            ```
            Looks fine. But what if we add:
            - Extra cheese
            - Size

            Now we need many overloaded constructors.

            ## Functional Requirements
            - **API Interactions**: Services talk over REST or message queues.
            - **Service Decomposition**: Break the monolith into order and payment services.

            ## Why bulk writes?
            Writing one document at a time would:

            - overwhelm the primary
            - increase replication lag

            Bulk writes instead:

            - reduce oplog pressure
            - keep batches atomic

            Both SQL and MongoDB support bulk writes.

            ## Interview Prep
            ### Q1: *What problem does the Circuit Breaker solve?*
            **Answer:** Prevents cascading failures by stopping calls to a failing service.
            """)
    )
    asked = _asked(notes)
    prompts = [re.sub(r"<[^>]+>", "", n.field("Prompt")) for n in notes if n.model == "qa"]
    assert not any("Circuit Breaker solve" in p for p in prompts)  # a recap of the intent
    assert not any("Telescoping" in p for p in prompts)  # its answer needs the list
    assert not [n for n in notes if n.kind == "term"]  # requirements are no concepts
    assert "Services talk over REST or message queues." in asked
    assert not any("Both SQL and MongoDB" in a for a in asked)  # a closing remark


def test_an_item_that_continues_the_one_before_is_shown(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            # SDP

            ## Rule
            - A stable component should never depend on an unstable one.
            - Otherwise, ripple effects from unstable modules break the system.
            - Stability grows with incoming dependencies.
            """)
    )
    asked = _asked([note])
    assert "Otherwise, ripple effects from unstable modules break the system." not in asked
    assert "Stability grows with incoming dependencies." in asked


def test_a_term_explained_by_what_it_does_is_asked_so(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Web

            ## Glossary of Terms
            - **DNS** → translates human-readable domains to IPs.
            - **HTML** → the structure of the page.
            - **Parse HTML** → build the DOM tree.
            """)
    )
    prompts = [re.sub(r"<[^>]+>", "", n.field("Prompt")) for n in notes]
    assert prompts == [
        "What does DNS do?",
        "What is meant by HTML?",
        "What does Parse HTML do?",
    ]


def test_an_advices_own_example_is_hidden_with_it(parse_text: Parse) -> None:
    [note] = build_notes(
        parse_text("""
            # Robust Error Handling

            ## Amazon (Ownership)
            - Highlight ownership in error handling (e.g., “I owned the ingestion fixes”).
            - Emphasize reliability (e.g., “Prevented system crashes”).
            """)
    )
    # The example would say the advice; the heading says the first one, which is shown.
    assert _asked([note]) == ["Emphasize reliability (e.g., “Prevented system crashes”)."]


def test_case_studies_ask_how_a_principle_is_applied(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Coupling

            ## ADP – Acyclic Dependencies Principle
            > Allow no cycles in the component dependency graph.

            ## Real-World Case Studies
            ### Spring Framework
            - **ADP**: Clear separation between the core, web and data modules.
            - **Caching**: Spring Cache keeps hot beans close to callers.

            ## System Components
            - **Load Balancer**: Distributes traffic across instances (e.g., Nginx).
            - **Old Generation**: Objects that survive several collections.
            """)
    )
    prompts = {re.sub(r"<[^>]+>", "", n.field("Prompt")) for n in notes}
    assert "How does Spring Framework apply ADP?" in prompts
    assert "What does Load Balancer do?" in prompts
    assert "What is meant by Old Generation?" in prompts


def test_an_example_under_a_table_is_no_second_card(parse_text: Parse) -> None:
    notes = build_notes(
        parse_text("""
            # Lists

            ## Memory Allocation

            | Feature | Array | Linked List |
            |---|---|---|
            | **Allocation** | Contiguous block | Scattered nodes |
            | **Growth** | Fixed size | Grows node by node |

            **Example:**

            - Array: `int a[5]` occupies one continuous block.
            - Linked List: each node sits anywhere, linked by pointers.
            """)
    )
    assert [n.kind for n in notes] == ["table"]
