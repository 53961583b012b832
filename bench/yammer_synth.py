"""A synthetic Yammer network data export of any size, for tests and the export benchmark.

The rows look like a real export's (every field quoted, CRLF, a BOM, the newer column layout,
multi-line French bodies with doubled quotes, mentions, attachment tokens whose files are not
included, threads with replies to replies, private conversations, deleted messages) and are
written as they are generated, so a million messages take no more memory than ten.

Two shapes. `flat`: every thread in one of `groups` equally likely groups, 5% private. `realistic`,
the shape of a real network: community sizes follow a power law (a few huge communities, a long
tail of small ones), and a share of the messages (35% by default, so about 100,000 channels at a
million messages) sits in private conversations of 2-5 messages, each its own channel.
"""

from __future__ import annotations

import csv
import random
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Literal

Shape = Literal["flat", "realistic"]

MESSAGE_COLUMNS = [
    "id", "replied_to_id", "thread_id", "conversation_id", "group_id", "group_name", "participants",
    "in_private_group", "in_private_conversation", "scope_type", "sender_id", "sender_type", "sender_name",
    "sender_email", "body", "title", "message_type", "api_url", "attachments", "deleted_by_id",
    "deleted_by_type", "deleted_at", "created_at", "gdpr_delete_url",
]
_WORDS = ("réunion sécurité projet équipe planning budget livraison client atelier formation "
          "compte rendu prochaine semaine merci bonjour retour proposition calendrier version "
          "document partage idée question réponse urgent validé étape objectif résultat").split()
_START = datetime(2018, 1, 1, tzinfo=UTC)
_BASE_ID = 2_000_000_000_000_000
_BASE_USER = 1_500_000_000
_BASE_GROUP = 8_400_000
#: threads still receiving replies; older ones are closed, which keeps memory flat.
_OPEN_THREADS = 64


def write_synthetic_export(folder: Path, messages: int, users: int = 2000, groups: int = 200,
                           seed: int = 0, shape: Shape = "flat", private_share: float = 0.35) -> None:
    """Write Messages.csv, Users.csv, Groups.csv and Networks.csv of a `messages`-row export.

    With `shape="realistic"`, `groups` is raised to one per 500 messages (a power law decides their
    sizes) and `private_share` of the messages go to private conversations of 2-5 messages.
    """
    rng = random.Random(seed)
    if shape == "realistic":
        groups = max(groups, messages // 500)
    folder.mkdir(parents=True, exist_ok=True)
    user_ids = [str(_BASE_USER + i) for i in range(users)]
    group_ids = [str(_BASE_GROUP + i) for i in range(groups)]
    _write(folder / "Networks.csv", ["id", "name", "url"],
           [["1876543", "Synthetic", "https://www.yammer.com/example.com"]])
    _write(folder / "Users.csv", ["id", "name", "email", "state", "joined_at", "deleted_at"], (
        [uid, f"Utilisateur {i}", f"user{i}@{'partner.org' if i % 50 == 0 else 'example.com'}",
         "soft_delete" if i % 97 == 0 else "active", "2017-01-02T08:00:00Z",
         "2019-01-02T08:00:00Z" if i % 97 == 0 else ""]
        for i, uid in enumerate(user_ids)))
    _write(folder / "Groups.csv",
           ["id", "name", "description", "private", "deleted", "external", "created_at"],
           ([gid, f"Groupe {i}", f"Espace du groupe {i}", "true" if i % 5 == 0 else "false", "false", "false",
             "2017-01-02T08:00:00Z"] for i, gid in enumerate(group_ids)))
    rows = (_realistic(rng, messages, user_ids, group_ids, private_share) if shape == "realistic"
            else _messages(rng, messages, user_ids, group_ids))
    _write(folder / "Messages.csv", MESSAGE_COLUMNS, rows)


def _write(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def _messages(rng: random.Random, count: int, user_ids: list[str],
              group_ids: list[str]) -> Iterator[list[str]]:
    """Rows in time order: a new thread 30% of the time, else a reply in a recent open thread."""
    threads: deque[tuple[str, list[str], list[str], str]] = deque(maxlen=_OPEN_THREADS)
    at = _START
    for n in range(count):
        mid = str(_BASE_ID + n)
        sender = rng.choice(user_ids)
        at += timedelta(seconds=rng.randint(1, 120))
        if not threads or rng.random() < 0.3:
            private = rng.random() < 0.05
            members = rng.sample(user_ids, rng.randint(2, 4)) if private else []
            group = "" if private or rng.random() < 0.1 else rng.choice(group_ids)
            thread = (mid, [mid], members, group)
            threads.append(thread)
            parent = ""
            sender = members[0] if private else sender
        else:
            thread = rng.choice(threads)
            parent = rng.choice(thread[1][-5:])
            thread[1].append(mid)
            del thread[1][:-5]
            sender = rng.choice(thread[2]) if thread[2] else sender
        yield _row(rng, mid, thread, parent, sender, at, user_ids, group_ids)


def _realistic(rng: random.Random, count: int, user_ids: list[str], group_ids: list[str],
               private_share: float) -> Iterator[list[str]]:
    """Rows in time order: community threads in power-law sized groups, and short private
    conversations (2-5 messages, each a channel of its own) for `private_share` of the rows."""
    weights = list(accumulate(1 / (rank + 1) ** 1.1 for rank in range(len(group_ids))))
    threads: deque[tuple[str, list[str], list[str], str]] = deque(maxlen=_OPEN_THREADS)
    private: list[tuple[tuple[str, list[str], list[str], str], int]] = []  # (thread, messages left)
    at = _START
    for n in range(count):
        mid = str(_BASE_ID + n)
        at += timedelta(seconds=rng.randint(1, 120))
        if rng.random() < private_share:
            if private and rng.random() < 0.7:
                i = rng.randrange(len(private))
                thread, left = private[i]
                parent = thread[1][-1]
                thread[1].append(mid)
                del thread[1][:-5]
                private[i] = (thread, left - 1)
                if left == 1:
                    private[i] = private[-1]
                    private.pop()
            else:
                thread = (mid, [mid], rng.sample(user_ids, rng.choice((2, 2, 2, 3, 4))), "")
                private.append((thread, rng.randint(1, 4)))
                parent = ""
            yield _row(rng, mid, thread, parent, rng.choice(thread[2]), at, user_ids, group_ids)
            continue
        sender = rng.choice(user_ids)
        if not threads or rng.random() < 0.3:
            group = "" if rng.random() < 0.05 else rng.choices(group_ids, cum_weights=weights)[0]
            thread = (mid, [mid], [], group)
            threads.append(thread)
            parent = ""
        else:
            thread = rng.choice(threads)
            parent = rng.choice(thread[1][-5:])
            thread[1].append(mid)
            del thread[1][:-5]
        yield _row(rng, mid, thread, parent, sender, at, user_ids, group_ids)


def _row(rng: random.Random, mid: str, thread: tuple[str, list[str], list[str], str], parent: str,
         sender: str, at: datetime, user_ids: list[str], group_ids: list[str]) -> list[str]:
    thread_id, _, members, group = thread
    private = bool(members)
    deleted = rng.random() < 0.02
    slashed = rng.random() < 0.1  # the REST form some exports use
    stamp = at.strftime("%Y/%m/%d %H:%M:%S +0000" if slashed else "%Y-%m-%dT%H:%M:%SZ")
    user = int(sender) - _BASE_USER
    return [
        mid, parent, thread_id, thread_id, group, f"Groupe {int(group) - _BASE_GROUP}" if group else "",
        ",".join(f"user:{u}" for u in members), "false", "true" if private else "false",
        "YAMMER_PRIVATE_CONVERSATION" if private else "", sender, "user", f"Utilisateur {user}",
        f"user{user}@example.com", _body(rng, user_ids, group_ids),
        "Annonce" if not parent and rng.random() < 0.02 else "", "update",
        f"https://www.yammer.com/api/v1/messages/{mid}", _attachments(rng),
        sender if deleted else "", "user" if deleted else "",
        (at + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ") if deleted else "", stamp,
        f"https://www.yammer.com/example.com/messages/{thread_id}/hard_delete_confirmation",
    ]


def _body(rng: random.Random, user_ids: list[str], group_ids: list[str]) -> str:
    words = rng.choices(_WORDS, k=rng.randint(5, 60))
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), f"[[user:{rng.choice(user_ids)}]]")
    if rng.random() < 0.05:
        words.insert(rng.randrange(len(words)), f"[[group:{rng.choice(group_ids)}]]")
    if rng.random() < 0.05:
        words.append('"citation"')
    text = " ".join(words).capitalize() + "."
    return text.replace(" merci ", ".\nMerci ") if rng.random() < 0.1 else text


def _attachments(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.04:
        return f"uploadedfile:{rng.randint(100_000_000, 199_999_999)}"
    if roll < 0.06:
        card = rng.randint(1, 10**9)
        return f'opengraphobject:[{card} : https://example.com/a,b?id={card} : title="Article, n°{card}"]'
    return ""
