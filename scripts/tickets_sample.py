#!/usr/bin/env python3
"""Regenerates datasets/tickets/: a second, non-event sample — support tickets turned into
{intent, priority, customer, entities[]} by a model tuned on OpenAI, with OpenAI chat test data
and OpenAI Batch API output, including a model's typical mistakes. Deterministic.

    python3 scripts/tickets_sample.py
"""

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "datasets" / "tickets"
INTENTS = ["refund", "shipping", "billing", "account", "other"]
WEIGHTS = [30, 30, 20, 15, 5]
PRIORITIES = ["low", "medium", "high"]
NAMES = ["Ann Lee", "Bo Chen", "Carla Diaz", "Dev Patel", "Emma Stone", "Farid Haddad", "Gita Rao"]
PRODUCTS = ["kettle", "headphones", "desk lamp", "backpack", "phone case", "blender"]


def ticket(rng, i):
    intent = rng.choices(INTENTS, WEIGHTS)[0]
    name = rng.choice(NAMES)
    email = name.lower().replace(" ", ".") + "@example.com"
    entities = [{"type": "order_id", "value": f"A{rng.randrange(10000, 99999)}"}]
    if rng.random() < 0.7:
        entities.append({"type": "product", "value": rng.choice(PRODUCTS)})
    if intent in ("refund", "billing") and rng.random() < 0.6:
        entities.append({"type": "amount", "value": f"{rng.randrange(5, 300)}.{rng.choice(['00', '99', '50'])} EUR"})
    answer = {
        "intent": intent,
        "priority": rng.choice(PRIORITIES),
        "customer": {"name": name, "email": email},
        "entities": entities,
    }
    text = f"From {name} <{email}>: about order {entities[0]['value']} — " + {
        "refund": "I want my money back.",
        "shipping": "where is my parcel?",
        "billing": "I was charged twice.",
        "account": "I cannot log in.",
        "other": "do you sell gift cards?",
    }[intent]
    return text, answer


def mistakes(rng, answer):
    out = json.loads(json.dumps(answer))
    if rng.random() < 0.12:
        out["intent"] = rng.choice([x for x in INTENTS if x != out["intent"]])
    if rng.random() < 0.2:
        out["priority"] = rng.choice(PRIORITIES)
    if rng.random() < 0.1:
        out["customer"]["name"] = out["customer"]["name"].lower()
    if rng.random() < 0.08:
        del out["customer"]["email"]
    if rng.random() < 0.15 and len(out["entities"]) > 1:
        out["entities"].pop(rng.randrange(len(out["entities"])))
    if rng.random() < 0.1:
        out["entities"].append({"type": "product", "value": rng.choice(PRODUCTS)})
    rng.shuffle(out["entities"])
    return out


def main():
    rng = random.Random(11)
    expected, predictions = [], []
    for i in range(240):
        text, answer = ticket(rng, i)
        cid = f"ticket-{i:04d}"
        expected.append({"id": cid, "messages": [
            {"role": "system", "content": "Extract the ticket as JSON: intent, priority, customer, entities."},
            {"role": "user", "content": text},
            {"role": "assistant", "content": json.dumps(answer)},
        ]})
        if rng.random() < 0.01:
            predictions.append({"id": f"batch_req_{i}", "custom_id": cid, "response": None,
                                "error": {"code": "server_error", "message": "The server had an error."}})
            continue
        out = mistakes(rng, answer)
        content = json.dumps(out)
        finish = "stop"
        r = rng.random()
        if r < 0.05:
            content = "```json\n" + json.dumps(out, indent=2) + "\n```"
        elif r < 0.07:
            content = content[: len(content) * 2 // 3]
            finish = "length"
        elif r < 0.08:
            content = "I'm sorry, I can't help with that."
        predictions.append({"id": f"batch_req_{i}", "custom_id": cid, "response": {"status_code": 200, "request_id": f"req_{i}", "body": {
            "id": f"chatcmpl-{i}", "object": "chat.completion", "model": "ft:gpt-4o-mini:acme:tickets:1",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None}, "finish_reason": finish}]}},
            "error": None})
    rng.shuffle(predictions)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "expected.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in expected))
    (OUT / "predictions.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions))
    print(f"wrote {len(expected)} tickets and {len(predictions)} predictions to {OUT}")


if __name__ == "__main__":
    main()
