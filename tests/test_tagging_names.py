"""An editor tag that is a name (capitalized wherever the reports use it) never joins
the learned house vocabulary: Tumen does not learn to profile a private person."""

from tumen.engines.tagging import _is_proper_noun


def test_a_name_tag_is_recognized_from_how_the_reports_write_it():
    texts = ["Officers detained Pak Song-chol at the market.", "Relatives of Pak Song-chol were questioned."]
    assert _is_proper_noun("pak song-chol", texts)
    assert _is_proper_noun("pak song chol", texts)


def test_topics_written_in_lower_case_are_not_names():
    texts = ["South Korean cosmetics were seized at the market.", "Cosmetics prices rose."]
    assert not _is_proper_noun("cosmetics", texts)
    assert not _is_proper_noun("fuel smuggling", texts)  # absent from the text: a topic


def test_an_editor_tag_holding_a_family_name_never_joins_the_vocabulary():
    """Editors wrote "choe case" in lower case, but "Choe" is the family name of the woman
    the reports are about: the tag would profile her."""
    from tumen.engines.tagging import merged_vocabulary

    class Store:  # an archive without its own vocabulary file
        path = ":memory:"

    examples = [
        ("Agents detained a woman surnamed Choe over smuggled cosmetics. The Choe case "
         "frightened traders.", [], ["choe case", "cosmetics"]),
        ("After the arrest of Choe Myong-hui the Choe case is still talked about; traders "
         "hid their cosmetics.", [], ["choe case", "cosmetics"]),
    ]
    _, new_tags = merged_vocabulary(Store(), examples)
    assert "cosmetics" in new_tags
    assert "choe case" not in new_tags
