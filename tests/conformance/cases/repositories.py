"""@repository in its list and lazy dict forms."""

from orch import pipeline, repository, solid


@solid
def noop(context):
    return None


@pipeline
def first_pipeline():
    noop()


@pipeline
def second_pipeline():
    noop()


@repository
def my_repository():
    return [first_pipeline, second_pipeline]


@repository
def lazy_repository():
    return {"pipelines": {"first_pipeline": lambda: first_pipeline}}


def run_names():
    return sorted(p.name for p in my_repository.get_all_pipelines())


def run_get_pipeline():
    return my_repository.get_pipeline("second_pipeline").name


def run_has_pipeline():
    return [my_repository.has_pipeline("first_pipeline"), my_repository.has_pipeline("x")]


def run_lazy():
    return [lazy_repository.name, lazy_repository.get_pipeline("first_pipeline").name]


def run_unknown():
    return my_repository.get_pipeline("nope")
