"""Emulated channel files: filesFolder, simple upload, upload sessions, reference attachments."""

import httpx

from .test_emulator import msg, new_team, post

UNIT = 327_680


def folder(graph):
    team_id, general = new_team(graph)
    item = graph.get(f"/teams/{team_id}/channels/{general}/filesFolder").json()
    return team_id, general, item["parentReference"]["driveId"], item["id"]


def test_files_folder_is_stable(graph):
    team_id, general, _, item = folder(graph)
    again = graph.get(f"/teams/{team_id}/channels/{general}/filesFolder").json()
    assert again["id"] == item and again["name"] == "General" and "folder" in again


def test_simple_upload_conflicts_and_path_lookup(graph):
    _, _, drive, parent = folder(graph)
    url = f"/drives/{drive}/items/{parent}:/Imported/2019/a.txt:/content"
    first = graph.put(url, content=b"one", params={"@microsoft.graph.conflictBehavior": "fail"})
    assert first.status_code == 201 and first.json()["size"] == 3
    assert first.json()["eTag"].startswith('"{') and first.json()["eTag"].endswith('},1"')
    again = graph.put(url, content=b"two", params={"@microsoft.graph.conflictBehavior": "fail"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "nameAlreadyExists"
    renamed = graph.put(url, content=b"two", params={"@microsoft.graph.conflictBehavior": "rename"})
    assert renamed.json()["name"] == "a 1.txt"
    replaced = graph.put(url, content=b"three")
    assert replaced.status_code == 200 and replaced.json()["eTag"].endswith('},2"')
    found = graph.get(f"/drives/{drive}/items/{parent}:/Imported/2019/a.txt").json()
    assert found["id"] == first.json()["id"] and httpx.get(found["webUrl"]).content == b"three"


def test_upload_session_in_320_kib_fragments(graph):
    _, _, drive, parent = folder(graph)
    data = bytes(range(256)) * 3000  # 768 000 bytes: two whole units and a tail
    session = post(graph, f"/drives/{drive}/items/{parent}:/big.bin:/createUploadSession",
                   item={"@microsoft.graph.conflictBehavior": "fail"}).json()
    upload = session["uploadUrl"]
    assert session["nextExpectedRanges"] == ["0-"]

    def put(start, end):
        return httpx.put(upload, content=data[start:end + 1],
                         headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"})

    assert put(0, 99_999).status_code == 400  # not a multiple of 320 KiB
    assert put(UNIT, 2 * UNIT - 1).status_code == 416  # out of order
    first = put(0, UNIT - 1)
    assert first.status_code == 202 and first.json()["nextExpectedRanges"] == [f"{UNIT}-"]
    assert httpx.get(upload).json()["nextExpectedRanges"] == [f"{UNIT}-"]
    assert put(UNIT, 2 * UNIT - 1).status_code == 202
    done = put(2 * UNIT, len(data) - 1)
    assert done.status_code == 201 and done.json()["size"] == len(data)
    assert httpx.get(done.json()["webUrl"]).content == data
    assert httpx.get(upload).status_code == 404  # the session is gone once complete


def test_upload_session_can_be_cancelled_and_refuses_existing_names(graph):
    _, _, drive, parent = folder(graph)
    graph.put(f"/drives/{drive}/items/{parent}:/x.bin:/content", content=b"x")
    r = post(graph, f"/drives/{drive}/items/{parent}:/x.bin:/createUploadSession",
             item={"@microsoft.graph.conflictBehavior": "fail"})
    assert r.status_code == 409
    upload = post(graph, f"/drives/{drive}/items/{parent}:/y.bin:/createUploadSession", item={}).json()[
        "uploadUrl"
    ]
    assert httpx.delete(upload).status_code == 204 and httpx.get(upload).status_code == 404


def test_reference_attachment_with_matching_tag(graph):
    team_id, general, drive, parent = folder(graph)
    item = graph.put(f"/drives/{drive}/items/{parent}:/plan.txt:/content", content=b"plan").json()
    guid = item["eTag"].split("{")[1].split("}")[0].lower()
    att = {"id": guid, "contentType": "reference", "contentUrl": item["webUrl"], "name": "plan.txt"}
    path = f"/teams/{team_id}/channels/{general}/messages"
    ok = post(
        graph, path, **msg(content=f'<p>see</p><attachment id="{guid}"></attachment>', attachments=[att])
    )
    assert ok.status_code == 201 and ok.json()["attachments"][0]["id"] == guid
    missing_tag = post(graph, path, **msg(at="2019-02-02T00:00:00Z", attachments=[att]))
    assert missing_tag.status_code == 400 and "attachment id" in missing_tag.json()["error"]["message"]
