from core.sanitize import clean_html, plain_text


def test_scripts_and_handlers_are_removed():
    dirty = '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">x</a></p>'
    clean = clean_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert clean.startswith("<p>Hi")


def test_links_get_safe_rel():
    assert 'rel="noopener noreferrer nofollow"' in clean_html('<a href="https://gov.kz">gov</a>')


def test_plain_text_strips_tags():
    assert plain_text("<b>Ауыл</b> <i>әкімі</i>") == "Ауыл әкімі"


def test_plain_text_is_text_not_html():
    """Entities come out decoded: the result is stored as text and escaped once, where it is shown."""
    assert plain_text("Roads & bridges <script>alert(1)</script>") == "Roads & bridges"
    assert plain_text("Жол &amp; көпір") == "Жол & көпір"
