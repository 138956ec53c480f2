"""The analysis pipeline on Apache Spark.

``analyze_with_spark(input, output)`` reads reports (JSON Lines or Parquet with the
fields id, title, published, source, url, body), moves them to the executors as Arrow
batches (``mapInArrow``), runs the *same* ``Pipeline`` as the local engine — one
instance per executor Python worker, built by the first partition it runs and reused
by the later ones, never one per report — and writes Parquet under ``output``,
partitioned by publication month (``month=YYYY-MM``; ``month=undated`` for reports
without a publication date).

``duplicate_of`` and the events (``event``, ``event_link``, ``follows`` of each incident,
``translation_of``; ``tumen.analysis.events``) are set as the local engine sets them: after the
partitions are analyzed, the driver streams the records back in input order
(``toLocalIterator``, never the whole set at once) through one ``DuplicateLinker``
(near-duplicates by MinHash, other outlets' reports of the same event), which keeps
signatures and word sets, not bodies, and one ``EventLinker``, which keeps each
incident's comparable features; the links it finds, the links back to a report met
after a later one and each record's final events are joined onto the records (in
``record_json``; the nested ``incidents`` column keeps the analysis as it came).  The tables:

* ``records/``   one row per report: the record's fields, nested (places, organizations,
  laws, dates, incidents with their mentions), plus ``record_json`` (the record exactly
  as the local engine serializes it) and the report's ``body`` so that ``tumen load``
  can rebuild the store;
* ``incidents/`` one flat row per incident (report_id, seq, type, actor, place, …);
* ``mentions/``  one flat row per mention (report_id, kind, name, entity id, text,
  start, end, value, precision).

The master comes from ``--master`` or ``$SPARK_MASTER`` (default ``local[*]``); a
``spark://`` or YARN master works unchanged when the workers' Python has Tumen
installed (see docs/scaling.md).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterable

REPORT_FIELDS = ("id", "title", "published", "source", "url", "body")
DEFAULT_MASTER = "local[*]"


def _record_schema():
    from pyspark.sql import types as T

    mention = T.StructType([T.StructField("text", T.StringType()), T.StructField("start", T.LongType()),
                            T.StructField("end", T.LongType())])
    mentions = T.ArrayType(mention)
    place = T.StructType([
        T.StructField("id", T.StringType()), T.StructField("name", T.StringType()),
        T.StructField("kind", T.StringType()), T.StructField("lat", T.DoubleType()),
        T.StructField("lon", T.DoubleType()), T.StructField("province", T.StringType()),
        T.StructField("mentions", mentions)])
    org = T.StructType([T.StructField("id", T.StringType()), T.StructField("name", T.StringType()),
                        T.StructField("mentions", mentions)])
    law = T.StructType([T.StructField("name", T.StringType()), T.StructField("article", T.LongType()),
                        T.StructField("mentions", mentions)])
    date = T.StructType([T.StructField("text", T.StringType()), T.StructField("value", T.StringType()),
                         T.StructField("precision", T.StringType()), T.StructField("start", T.LongType()),
                         T.StructField("end", T.LongType())])
    evidence = mention
    incident = T.StructType([
        T.StructField("type", T.StringType()), T.StructField("actor", T.StringType()),
        T.StructField("target", T.StringType()), T.StructField("place", T.StringType()),
        T.StructField("province", T.StringType()), T.StructField("date", T.StringType()),
        T.StructField("date_precision", T.StringType()), T.StructField("penalty", T.StringType()),
        T.StructField("evidence", evidence)])
    return T.StructType([
        T.StructField("id", T.StringType(), False), T.StructField("title", T.StringType()),
        T.StructField("published", T.StringType()), T.StructField("source", T.StringType()),
        T.StructField("url", T.StringType()), T.StructField("tags", T.ArrayType(T.StringType())),
        T.StructField("places", T.ArrayType(place)), T.StructField("organizations", T.ArrayType(org)),
        T.StructField("laws", T.ArrayType(law)), T.StructField("dates", T.ArrayType(date)),
        T.StructField("incidents", T.ArrayType(incident)), T.StructField("duplicate_of", T.StringType()),
        T.StructField("analyzer", T.StringType()), T.StructField("status", T.StringType()),
        T.StructField("error", T.StringType()), T.StructField("body", T.StringType()),
        T.StructField("record_json", T.StringType()), T.StructField("seq", T.LongType()),
    ])


# One pipeline per executor Python worker, built by the first partition the worker runs
# and reused by every later one (Spark reuses its Python workers between tasks:
# spark.python.worker.reuse, on by default), so spaCy and the gazetteers load once per
# worker, not once per partition.
_PIPELINE = None
BATCH = 32


def _worker_pipeline(builds=None):
    global _PIPELINE
    if _PIPELINE is None:
        from tumen.analysis.pipeline import Pipeline

        _PIPELINE = Pipeline().initialize()
        if builds is not None:
            builds.add(1)
    return _PIPELINE


def _analyzed_schema():
    from pyspark.sql import types as T

    return T.StructType([T.StructField("id", T.StringType()), T.StructField("record_json", T.StringType()),
                         T.StructField("body", T.StringType()), T.StructField("seq", T.LongType())])


def _analyze_batches(batches, builds=None, analyzed=None):
    """Runs on an executor (``mapInArrow``): Arrow batches of reports (the report fields
    and ``seq``, the position in the input) in, Arrow batches of (id, record_json, body,
    seq) out, through the worker's one pipeline."""
    import pyarrow as pa

    from tumen.record import Report

    schema = pa.schema([("id", pa.string()), ("record_json", pa.string()), ("body", pa.string()),
                        ("seq", pa.int64())])
    for batch in batches:
        columns = {name: batch.column(name).to_pylist() for name in (*REPORT_FIELDS, "seq")}
        for at in range(0, batch.num_rows, BATCH):
            part = range(at, min(at + BATCH, batch.num_rows))
            reports = [Report(id=str(columns["id"][i]), body=columns["body"][i] or "",
                              title=_opt(columns["title"][i]), published=_opt(columns["published"][i]),
                              source=_opt(columns["source"][i]), url=_opt(columns["url"][i]))
                       for i in part]
            out = {"id": [], "record_json": [], "body": [], "seq": []}
            for doc, i in zip(_worker_pipeline(builds).pipe(reports), part):
                record = doc.to_record().to_dict()
                out["id"].append(record["id"])
                out["record_json"].append(json.dumps(record, ensure_ascii=False))
                out["body"].append(doc.report.body)
                out["seq"].append(columns["seq"][i])
            if analyzed is not None:
                analyzed.add(len(part))
            yield pa.RecordBatch.from_pydict(out, schema=schema)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


RECORD_FIELDS = ("id", "title", "published", "source", "url", "tags", "places", "organizations", "laws",
                 "dates", "incidents", "duplicate_of", "analyzer", "status", "error")


def _nested(analyzed):
    """(id, record_json, body, seq) rows with the record's fields parsed from its JSON in
    the JVM (``from_json``), nested as ``_record_schema`` says."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    full = _record_schema()
    fields = T.StructType([f for f in full.fields if f.name in RECORD_FIELDS])
    parsed = analyzed.withColumn("_r", F.from_json("record_json", fields))
    return parsed.select(*[F.col(f"_r.{name}").alias(name) for name in RECORD_FIELDS],
                         "body", "record_json", "seq")


def _month(column: str = "published"):
    """The publication month (YYYY-MM) of a report, ``undated`` when it has none."""
    from pyspark.sql import functions as F

    month = F.regexp_extract(F.col(column), r"^(\d{4}-\d{2})", 1)
    return F.when(F.col(column).isNull() | (month == ""), F.lit(UNDATED)).otherwise(month)


UNDATED = "undated"


def _duplicate_links(records) -> tuple[dict[str, str], dict[str, str]]:
    """({later report id: earlier report id}, {report id: its events as JSON}): the local
    engine's ``DuplicateLinker`` and ``EventLinker`` run on the driver over the records in
    input order (streamed, one partition at a time), with the relinks (a later report
    met first) and each record's final events (``tumen.analysis.events``)."""
    from tumen.analysis.events import EventLinker
    from tumen.analysis.linking import DuplicateLinker

    linker = DuplicateLinker()
    event_linker = EventLinker()
    links = {}
    linked = set()  # reports whose record already names an earlier one (ingest)
    ids = []
    for row in records.select("seq", "record_json", "body").orderBy("seq").toLocalIterator():
        record = json.loads(row["record_json"])
        found = linker.link(record, row["body"] or "")
        if record.get("duplicate_of"):
            linked.add(record["id"])
        elif found:
            links[record["id"]] = found
            record["duplicate_of"] = found  # as the local engine has it when linking events
        event_linker.link(record, row["body"] or "", linker.relinked_to(str(record["id"])))
        ids.append(record["id"])
    # reports met before an earlier one of the same event (input not in date order)
    for later, earlier in linker.relinks:
        if later not in linked:
            links.setdefault(later, earlier)
    events = {rid: json.dumps(event_linker.annotations(rid), ensure_ascii=False) for rid in ids}
    return links, events


def _with_links(spark, records, links_and_events: tuple[dict[str, str], dict[str, str]]):
    """``records`` with ``duplicate_of`` (column and ``record_json``) set from the links,
    and the events (``record_json``) from the events."""
    links, events = links_and_events
    if not links and not events:
        return records
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    def relink(record_json, earlier, annotations):  # str, str | None, str | None -> str
        from tumen.analysis.events import apply

        if earlier is None and annotations is None:
            return record_json
        record = json.loads(record_json)
        if earlier and not record.get("duplicate_of"):  # a link ingest made stays
            record["duplicate_of"] = earlier
        if annotations is not None:
            apply(record, json.loads(annotations))
        return json.dumps(record, ensure_ascii=False)

    relink_udf = F.udf(relink, T.StringType())
    rows = [(rid, links.get(rid), events.get(rid)) for rid in dict.fromkeys([*links, *events])]
    found = spark.createDataFrame(rows, "link_id string, link_to string, link_events string")
    joined = records.join(F.broadcast(found), records["id"] == found["link_id"], "left")
    return (joined.withColumn("duplicate_of", F.coalesce("link_to", "duplicate_of"))
            .withColumn("record_json", relink_udf("record_json", "link_to", "link_events"))
            .select(*records.columns))


def spark_session(master: str | None = None, app_name: str = "tumen-analyze"):
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    master = master or os.environ.get("SPARK_MASTER", DEFAULT_MASTER)
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.bindAddress", os.environ.get("SPARK_DRIVER_BIND", "127.0.0.1"))
               .config("spark.python.worker.reuse", "true")
               .config("spark.ui.showConsoleProgress", "false"))
    host = os.environ.get("SPARK_DRIVER_HOST")
    if host is None and (master.startswith("local") or "//127.0.0.1:" in master or "//localhost:" in master):
        host = "127.0.0.1"
    if host:
        builder = builder.config("spark.driver.host", host)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("SPARK_LOG_LEVEL", "ERROR"))
    return spark


def read_reports(spark, path: str | Path):
    path = str(path)
    if path.endswith(".parquet") or (Path(path).is_dir() and any(Path(path).glob("*.parquet"))):
        df = spark.read.parquet(path)
    else:
        df = spark.read.json(path, primitivesAsString=True)
    missing = [f for f in REPORT_FIELDS if f not in df.columns]
    from pyspark.sql import functions as F

    for name in missing:
        df = df.withColumn(name, F.lit(None).cast("string"))
    return df.select(*[F.col(f).cast("string").alias(f) for f in REPORT_FIELDS])


def analyze_with_spark(input: str | Path, output: str | Path, *, master: str | None = None,
                       partitions: int | None = None, spark=None, progress=None) -> dict[str, Any]:
    """Analyze ``input`` on Spark; write records/, incidents/ and mentions/ under ``output``,
    each partitioned by publication month (``month=YYYY-MM``, ``month=undated``).

    ``progress``: an accumulator of the session's context that the executors add each
    analyzed report to (its value reaches the driver as each task ends).  Returns counts:
    reports, failed, and pipelines_built (how many executor Python workers built a
    pipeline in this job: one per worker, however many partitions)."""
    from functools import partial

    from pyspark.sql import functions as F

    own = spark is None
    spark = spark or spark_session(master)
    try:
        sc = spark.sparkContext
        builds, done = sc.accumulator(0), progress if progress is not None else sc.accumulator(0)
        # seq: the position in the input (monotonic in input order), for the linking pass
        reports = read_reports(spark, input).withColumn("seq", F.monotonically_increasing_id())
        if partitions:
            reports = reports.repartition(partitions)
        analyzed = reports.mapInArrow(partial(_analyze_batches, builds=builds, analyzed=done),
                                      _analyzed_schema())
        analyzed = _nested(analyzed).withColumn("month", _month()).cache()
        records = _with_links(spark, analyzed, _duplicate_links(analyzed))
        out = str(output)
        records.repartition("month").sortWithinPartitions("seq").drop("seq") \
            .write.mode("overwrite").partitionBy("month").parquet(f"{out}/records")
        # the flat tables carry no duplicate_of: they read the analysis as it came
        _flat_incidents(analyzed).write.mode("overwrite").partitionBy("month").parquet(f"{out}/incidents")
        _flat_mentions(analyzed).write.mode("overwrite").partitionBy("month").parquet(f"{out}/mentions")
        total = analyzed.agg(F.count(F.lit(1)).alias("reports"),
                             F.count(F.when(F.col("status") == "failed", 1)).alias("failed")).first()
        counts = {"reports": total["reports"], "failed": total["failed"],
                  "pipelines_built": builds.value}
        analyzed.unpersist()
        return counts
    finally:
        if own:
            spark.stop()


def _flat_incidents(records):
    from pyspark.sql import functions as F

    exploded = records.select("id", "month", F.posexplode_outer("incidents").alias("seq", "i")).where("i IS NOT NULL")
    return exploded.select(
        F.col("id").alias("report_id"), "month", "seq", "i.type", "i.actor", "i.target", "i.place", "i.province",
        "i.date", "i.date_precision", "i.penalty",
        F.col("i.evidence.text").alias("evidence_text"), F.col("i.evidence.start").alias("evidence_start"),
        F.col("i.evidence.end").alias("evidence_end"))


def _flat_mentions(records):
    from pyspark.sql import functions as F

    def entity(kind: str, column: str, id_expr, name_expr):
        items = records.select("id", "month", F.explode_outer(column).alias("e")).where("e IS NOT NULL")
        return items.select("id", "month", F.lit(kind).alias("kind"), id_expr.alias("entity_id"),
                            name_expr.alias("name"), F.explode("e.mentions").alias("m")).select(
            F.col("id").alias("report_id"), "month", "kind", "entity_id", "name",
            F.col("m.text").alias("text"), F.col("m.start").alias("start"), F.col("m.end").alias("end"),
            F.lit(None).cast("string").alias("value"), F.lit(None).cast("string").alias("precision"))

    places = entity("place", "places", F.col("e.id"), F.col("e.name"))
    orgs = entity("organization", "organizations", F.col("e.id"), F.col("e.name"))
    laws = entity("law", "laws", F.lit(None).cast("string"), F.col("e.name"))
    dates = records.select("id", "month", F.explode("dates").alias("d")).select(
        F.col("id").alias("report_id"), "month", F.lit("date").alias("kind"),
        F.lit(None).cast("string").alias("entity_id"), F.col("d.text").alias("name"),
        F.col("d.text").alias("text"), F.col("d.start").alias("start"), F.col("d.end").alias("end"),
        F.col("d.value").alias("value"), F.col("d.precision").alias("precision"))
    return places.unionByName(orgs).unionByName(laws).unionByName(dates)
