"""A string asset key given to AssetMaterialization is split into its words, as Dagster 0.15.10
does (``parse_asset_key_string``): the oracle gives ``["s3", "a", "b", "c", "txt"]`` for
``"s3://a-b/c.txt"`` (checked in the conformance case integrations_aws, where
``file_handle_to_s3`` materializes its S3 path). Lists and AssetKeys are kept as given."""

from orch import AssetKey, AssetMaterialization


def test_string_keys_split_into_words() -> None:
    assert AssetMaterialization("s3://a-b/c.txt").asset_key == AssetKey(
        ["s3", "a", "b", "c", "txt"])
    assert AssetMaterialization.file("/tmp/x.csv").asset_key.path == ["tmp", "x", "csv"]
    assert AssetMaterialization("table").asset_key.path == ["table"]
    assert AssetMaterialization("my_table_1").asset_key.path == ["my_table_1"]


def test_lists_and_asset_keys_are_kept() -> None:
    assert AssetMaterialization(["s3://a", "b.c"]).asset_key.path == ["s3://a", "b.c"]
    assert AssetMaterialization(AssetKey("a.b")).asset_key.path == ["a.b"]
