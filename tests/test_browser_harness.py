"""The browser harness itself: Chromium starts, runs a page, and sees every request it makes."""

from tests.browser import screenshot


def test_chromium_renders_a_page_and_records_its_requests(web, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<h1>ready</h1><img src='http://192.0.2.1/x.png'>", encoding="utf-8")
    web.page.route("http://**", lambda route: route.abort())  # nothing leaves the machine
    web.page.goto(page.as_uri())
    assert web.page.inner_text("h1") == "ready"
    assert web.outside("file://") == ["http://192.0.2.1/x.png"]
    assert screenshot(web, "harness").stat().st_size > 0


def test_real_data_is_beside_the_checkout(real_data):
    assert (real_data / "README.md").is_file()
