"""async def solids run to completion (0.11.4)."""

import asyncio

from orch import execute_pipeline, pipeline, solid


@solid
async def fetch(context):
    await asyncio.sleep(0.001)
    return "payload"


@solid
async def parse(context, payload):
    await asyncio.sleep(0.001)
    return payload.upper()


@pipeline
def async_pipeline():
    parse(fetch())


def run_async():
    return execute_pipeline(async_pipeline)
