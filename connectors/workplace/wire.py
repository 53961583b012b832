"""The raw shapes of Workplace from Meta's Graph API, and the folder layout they are saved in.

Facts from Meta's Graph API reference for Workplace and Meta's own sample scripts
(fbsamples/workplace-platform-samples; reference: source-formats.md §2). Every answer to a
collection is a page `{"data": [...], "paging": {"cursors": {...}, "next": "..."}}`. Ids are
strings and often exceed 2**53; post ids are `<group id>_<post id>`.

The layout below is this tool's (Workplace's own admin "Download Workplace data" archive has no
public description; see docs/workplace.md). `collector` writes it, `reader` reads it:

    FOLDER/
      collect.json                          what was asked, when, and what could not be read
      community.json                        GET /community
      members/page-0001.json …              GET /community/members
      groups/page-0001.json …               GET /community/groups
      groups/<group>/group.json             GET /<group>
      groups/<group>/members/page-….json    GET /<group>/members
      groups/<group>/groups/page-….json     GET /<group>/groups (nested groups; each has its own folder)
      groups/<group>/feed/page-….json       GET /<group>/feed (posts, attachments inline)
      groups/<group>/comments/<id>/page-….json   GET /<id>/comments: of a post, or replies to a comment
      groups/<group>/reactions/<id>/page-….json  GET /<id>/reactions: of a post or a comment
      groups/<group>/media/<key>.<ext>      downloaded media of attachments (see `media_key`)
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

COLLECT = "collect.json"
COMMUNITY = "community.json"
MEMBERS = "members"
GROUPS = "groups"
GROUP = "group.json"
FEED = "feed"
COMMENTS = "comments"
REACTIONS = "reactions"
MEDIA = "media"
PAGE = re.compile(r"page-(\d{4,})\.json")
#: the version the collector asks for; any later one answers the same fields.
GRAPH_URL = "https://graph.workplace.com/v18.0"

#: fields asked for; the reader takes whatever the saved answers hold.
MEMBER_FIELDS = "id,name,email,title,department,locale,active,account_invite_time,account_claim_time"
GROUP_FIELDS = (
    "id,name,description,privacy,purpose,archived,updated_time,owner,icon,cover,post_requires_admin_approval"
)
ATTACHMENT_FIELDS = "type,title,description,url,unshimmed_url,target,media,subattachments"
POST_FIELDS = (f"id,from,message,message_tags,formatting,story,type,status_type,created_time,updated_time,"
               f"permalink_url,link,to,poll,properties,attachments{{{ATTACHMENT_FIELDS}}}")
COMMENT_FIELDS = (f"id,from,message,message_tags,created_time,comment_count,permalink_url,"
                  f"attachment{{{ATTACHMENT_FIELDS.replace(',subattachments', '')}}}")
REACTION_FIELDS = "id,name,type"
#: Graph API error codes meaning "slow down" (Meta's rate-limiting documentation): application,
#: user, page and API-specific request limits.
THROTTLE_CODES = frozenset({4, 17, 32, 613})
#: the token itself is invalid or expired: nothing else will work either.
TOKEN_CODES = frozenset({102, 190})


class Media(TypedDict, total=False):
    image: dict[str, Any]
    #: a video's own file; `image` is then its thumbnail.
    source: str


class AttachmentNode(TypedDict, total=False):
    type: str
    title: str
    description: str
    url: str
    unshimmed_url: str
    target: dict[str, str]
    media: Media
    subattachments: dict[str, list[dict[str, Any]]]


def media_url(node: AttachmentNode) -> str | None:
    """The URL of the node's media file: a video's `source`, else its image."""
    media = node.get("media") or {}
    return media.get("source") or (media.get("image") or {}).get("src") or None


def media_key(owner_id: str, path: str, node: AttachmentNode) -> str:
    """The file name stem media are saved under (`<key>.<ext>`): the attached object's id when it
    has one (a photo or video id), else the owner (post or comment) id and the node's position
    (`1`, `1-2` for the second subattachment of the first attachment). Never holds a dot."""
    target = (node.get("target") or {}).get("id")
    return re.sub(r"[^A-Za-z0-9_-]", "_", target or f"{owner_id}-{path}")


def page_name(number: int) -> str:
    return f"page-{number:04d}.json"


def attachment_nodes(owner: dict[str, Any]) -> list[tuple[str, AttachmentNode]]:
    """(position, node) of a post's `attachments` or a comment's single `attachment`, each
    followed by its `subattachments` (an album's photos): positions `1`, `1-1`, `1-2`, `2`…
    A post of the older API, with none of those, gives its `legacy_node` at position `1`."""
    if isinstance(owner.get("attachment"), dict):
        tops: list[Any] = [owner["attachment"]]
    else:
        tops = (owner.get("attachments") or {}).get("data") or []
    if not tops and (legacy := legacy_node(owner)):
        tops = [legacy]
    found: list[tuple[str, AttachmentNode]] = []
    for i, node in enumerate(tops, 1):
        if not isinstance(node, dict):
            continue
        found.append((str(i), node))  # type: ignore[arg-type]
        subs = (node.get("subattachments") or {}).get("data") or []
        found.extend((f"{i}-{j}", sub) for j, sub in enumerate(subs, 1) if isinstance(sub, dict))
    return found


#: post fields of the older Graph API (before `attachments`, v2.x) that give its one attached object.
LEGACY_MEDIA = ("object_id", "picture", "source", "link", "name", "caption", "description")


def legacy_node(post: dict[str, Any]) -> AttachmentNode | None:
    """The attachment a post of the older API gives through its own fields: a photo or a native
    video (`object_id`, the `picture` and video `source` URLs, the `link` to its page), or a
    shared link (`link`, `name`, `caption`, `description`; its `picture` is only a thumbnail)."""
    object_id, link = post.get("object_id"), post.get("link")
    if not object_id and not link:
        return None
    node: AttachmentNode = {"url": str(link or "")}
    if post.get("name"):
        node["title"] = str(post["name"])
    text = [str(post[k]) for k in ("caption", "description") if post.get(k)]
    if text:
        node["description"] = "\n".join(text)
    if object_id:
        node["type"] = "video_inline" if post.get("type") == "video" else "photo"
        node["target"] = {"id": str(object_id)}
        media: Media = {"image": {"src": post["picture"]}} if post.get("picture") else {}
        if post.get("type") == "video" and post.get("source"):
            media["source"] = str(post["source"])
        if media:
            node["media"] = media
    else:
        node["type"] = "share"
    return node
