# Python functions the RML engine (morph-kgc) calls from mappings/edition.yml.
# morph-kgc executes this file with `udf` predefined; the logic lives in lod.normalise
# (installed into the mapper's environment without dependencies) so that it is unit-tested.
# A function returning None produces no triple.
from lod import normalise

FN = "urn:lod:fn:"


@udf(fun_id=FN + "edtf", earliest=FN + "earliest", latest=FN + "latest")
def edtf(earliest, latest):
    # the view passes ".." for an open side: morph-kgc skips a function with an empty argument
    return normalise.edtf(None if earliest == ".." else earliest, None if latest == ".." else latest)


@udf(fun_id=FN + "exact_day", earliest=FN + "earliest", latest=FN + "latest")
def exact_day(earliest, latest):
    return earliest if earliest and earliest == latest else None


@udf(fun_id=FN + "certain_year", value=FN + "value")
def certain_year(value):
    return normalise.certain_year(value)


@udf(fun_id=FN + "year_edtf", value=FN + "value")
def year_edtf(value):
    return normalise.year_edtf(value)


@udf(fun_id=FN + "boolean", value=FN + "value")
def boolean(value):
    return {"yes": "true", "no": "false"}.get((value or "").strip().lower())


@udf(fun_id=FN + "period_start", value=FN + "value")
def period_start(value):
    return normalise.partial_date_bounds(value)[0]


@udf(fun_id=FN + "period_end", value=FN + "value")
def period_end(value):
    return normalise.partial_date_bounds(value)[1]


@udf(fun_id=FN + "document_label", number=FN + "number", kind=FN + "kind", printed=FN + "printed")
def document_label(number, kind, printed):
    return normalise.document_label(number, kind, printed)

