"""AWS for orch (legacy ``dagster_aws``): ``from dagster_aws.s3 import X`` becomes
``from orch.integrations.aws.s3 import X`` (likewise ``.cloudwatch``, ``.emr``, ``.redshift``).
"""
