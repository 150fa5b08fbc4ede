"""Azure for orch (legacy ``dagster_azure``): ``from dagster_azure.adls2 import X`` becomes
``from orch.integrations.azure.adls2 import X`` (likewise ``.blob``).

Install with ``pip install 'orch[azure]'`` (adlfs, azure-storage-blob,
azure-storage-file-datalake); they are imported when a client or a store is first used.
"""
