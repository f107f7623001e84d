using System.Diagnostics;
using System.Diagnostics.Metrics;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Monitoring;

namespace Karma.Serving.Core.Telemetry;

/// <summary>
/// The one place that owns the service's <see cref="ActivitySource"/> and <see cref="Meter"/> and their
/// long-lived instruments. Tags are low-cardinality only (stage, index kind, model version, status), never
/// user or item ids.
/// </summary>
public sealed class KarmaTelemetry : IBatchObserver, IDisposable
{
    /// <summary>Name of the activity source and the meter.</summary>
    public const string Name = "Karma.Serving";

    private readonly Histogram<double> _stageDuration;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _cacheRequests;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _loadFailures;
    private readonly Histogram<int> _candidates;
    private readonly Counter<long> _itemChanges;
    private readonly Counter<long> _itemLogDamaged;
    private readonly Histogram<double> _itemApplyDelay;
    private long _itemsAdded, _itemsRemoved, _unappliedSince;
    private int _queueDepth;
    private int _callsInFlight;
    private int _callsWaiting;
    private string _modelVersion = "none";
    private InterestDriftMonitor? _drift;
    private DecodedWordMonitor? _words;

    /// <summary>Creates the source, meter and instruments.</summary>
    public KarmaTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(Name);
        // Explicit buckets: the exporters' defaults (0, 5, 10, 25, … ms) cannot tell a 1 ms stage from a 4 ms one.
        _stageDuration = Meter.CreateHistogram<double>("karma.stage.duration", "ms",
            "Time spent in one stage of a call (encode, recall, prerank)", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 250, 500, 1000, 2500] });
        _batchSize = Meter.CreateHistogram<int>("karma.encode.batch_size", "{request}", "Requests per user-tower run", tags: null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _calls = Meter.CreateCounter<long>("karma.rpc.calls", "{call}", "Calls by method and gRPC status code");
        _candidates = Meter.CreateHistogram<int>("karma.search.candidates", "{item}",
            "Candidates per Search by recall channel (karma, lexical, category; fused: distinct after merging)", tags: null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 10, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000] });
        _cacheRequests = Meter.CreateCounter<long>("karma.cache.requests", "{request}",
            "User-embedding cache lookups by result (hit, miss; invalid: an entry was malformed, unauthentic or not a unit vector and " +
            "was treated as a miss; error: the cache failed or timed out and the call went on without it)");
        _loadFailures = Meter.CreateCounter<long>("karma.model.load_failures", "{load}",
            "Model packages refused (at start, on an admin reload or a Redis publication); the previous version keeps serving");
        _itemChanges = Meter.CreateCounter<long>("karma.items.changes", "{item}",
            "Items changed through the item log on this replica by kind (added: upserted, new or replacing; removed; refused: " +
            "an upsert this model cannot take, e.g. an unknown category)");
        _itemLogDamaged = Meter.CreateCounter<long>("karma.items.log_damaged", "{entry}", "Item-log entries skipped because they could not be read");
        _itemApplyDelay = Meter.CreateHistogram<double>("karma.items.apply_delay", "s",
            "From an item-log entry's append to its items being served by this replica", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        Meter.CreateObservableGauge("karma.items.delta", () => new[]
        {
            new Measurement<long>(Volatile.Read(ref _itemsAdded), new KeyValuePair<string, object?>("kind", "added")),
            new Measurement<long>(Volatile.Read(ref _itemsRemoved), new KeyValuePair<string, object?>("kind", "removed")),
        }, "{item}",
            "The served version's rows beyond its package by kind (added: rows appended through the item log; removed: rows no " +
            "search returns, removed or replaced by a newer upsert); a new package folds them in");
        Meter.CreateObservableGauge("karma.items.log_unapplied_age", () =>
        {
            long since = Volatile.Read(ref _unappliedSince);
            return since == 0 ? 0 : Math.Max(0, (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - since) / 1000.0);
        }, "s", "Age of the oldest item-log entry this replica has seen but not applied yet (0: caught up)");
        // Series that alerts watch exist from the start at 0, so rate() and increase() see their first event.
        _loadFailures.Add(0);
        _itemLogDamaged.Add(0);
        foreach (string kind in new[] { "added", "removed", "refused" })
        {
            _itemChanges.Add(0, new KeyValuePair<string, object?>("kind", kind));
        }
        foreach (string result in new[] { "hit", "miss", "invalid", "error" })
        {
            _cacheRequests.Add(0, new KeyValuePair<string, object?>("result", result));
        }

        Meter.CreateObservableGauge("karma.encode.queue_depth", () => Volatile.Read(ref _queueDepth), "{request}",
            "Encodes waiting for a batch");
        Meter.CreateObservableGauge("karma.rpc.in_flight", () => Volatile.Read(ref _callsInFlight), "{call}",
            "Retrieval calls in progress (admitted under Karma:MaxConcurrentCalls)");
        Meter.CreateObservableGauge("karma.rpc.waiting", () => Volatile.Read(ref _callsWaiting), "{call}",
            "Retrieval calls waiting for a slot (at most Karma:MaxWaitingCalls, each at most Karma:MaxAdmissionWaitMs)");
        // The drift gauges report nothing while the served package has no reference (no series rather than a false 0).
        Meter.CreateObservableGauge("karma.interest.drift", () => Drift(f => f.Divergence), unit: null,
            "Jensen-Shannon divergence (base 2, 0..1) of served interests' category reading from the package's reference");
        Meter.CreateObservableGauge("karma.interest.drift_threshold", () => Drift(f => f.Threshold), unit: null,
            "The divergence above which the drift monitor alerts (Karma:DriftThreshold)");
        Meter.CreateObservableGauge("karma.interest.mean_cosine", () => Drift(f => f.MeanCosine), unit: null,
            "Cosine between the served and the reference mean interest direction");
        Meter.CreateObservableGauge("karma.interest.concentration", () => Drift(f => f.Concentration), unit: null,
            "Length of the served mean unit interest (1: all alike, near 0: spread out)");
        Meter.CreateObservableGauge("karma.interest.observed", () => Drift(f => f.Observed), unit: null,
            "Interests the drift monitor has seen since the model version was loaded");
        Meter.CreateObservableGauge("karma.interest.word_drift", () => Words(f => f.Divergence), unit: null,
            "Jensen-Shannon divergence of the words sampled served interests decode to from the package's reference");
        Meter.CreateObservableGauge("karma.interest.words_decoded", () => Words(f => f.Decoded), unit: null,
            "Served interests the word monitor has decoded since the model version was loaded (one in Karma:DriftWordSampling)");
        Meter.CreateObservableGauge("karma.model.loaded", () => new Measurement<int>(1,
            new KeyValuePair<string, object?>("model_version", Volatile.Read(ref _modelVersion))), "{model}",
            "1, tagged with the model version being served");
    }

    private IEnumerable<Measurement<double>> Drift(Func<DriftFigures, double> figure)
        => Figure(Volatile.Read(ref _drift)?.Current(), figure);

    private IEnumerable<Measurement<double>> Words(Func<WordDriftFigures, double> figure)
        => Figure(Volatile.Read(ref _words)?.Current(), figure);

    /// <summary>One measurement tagged with the served version, or none while the served package has no such monitor.</summary>
    private IEnumerable<Measurement<double>> Figure<TFigures>(TFigures? figures, Func<TFigures, double> figure) where TFigures : class
        => figures is null ? [] : [new Measurement<double>(figure(figures), new KeyValuePair<string, object?>("model_version", Volatile.Read(ref _modelVersion)))];

    /// <summary>Spans of the service's stages.</summary>
    public ActivitySource Source { get; } = new(Name);

    /// <summary>The meter.</summary>
    public Meter Meter { get; }

    /// <summary>Records which version is being served.</summary>
    public void ModelLoaded(string version) => ModelLoaded(version, null, null);

    /// <summary>Records the model version now served and its drift monitors (null: the package has no reference, or no decoder).</summary>
    public void ModelLoaded(string version, InterestDriftMonitor? drift, DecodedWordMonitor? words)
    {
        Volatile.Write(ref _drift, drift);
        Volatile.Write(ref _words, words);
        Volatile.Write(ref _modelVersion, version);
    }

    /// <summary>Starts a child span for a stage; dispose it to end the span.</summary>
    public Activity? StartStage(string stage) => Source.StartActivity(stage, ActivityKind.Internal);

    /// <summary>Records a stage's duration.</summary>
    public void StageDone(string stage, TimeSpan elapsed, string index)
        => _stageDuration.Record(elapsed.TotalMilliseconds,
            new KeyValuePair<string, object?>("stage", stage),
            new KeyValuePair<string, object?>("index", index),
            new KeyValuePair<string, object?>("model_version", Volatile.Read(ref _modelVersion)));

    /// <summary>Records how many candidates a recall channel contributed to one Search (channel "fused": the distinct total).</summary>
    public void SearchCandidates(string channel, int count)
        => _candidates.Record(count, new KeyValuePair<string, object?>("channel", channel));

    /// <summary>Counts a finished call.</summary>
    public void CallDone(string method, string status)
        => _calls.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("status", status));

    /// <summary>Records how many Retrieval calls are in progress.</summary>
    public void CallsInFlight(int count) => Volatile.Write(ref _callsInFlight, count);

    /// <summary>Records how many Retrieval calls wait for a slot.</summary>
    public void CallsWaiting(int count) => Volatile.Write(ref _callsWaiting, count);

    /// <summary>Records a cache lookup.</summary>
    public void CacheLookup(bool hit) => _cacheRequests.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));

    /// <summary>
    /// Records a lookup that found an unusable entry (wrong format or length, bad or missing HMAC tag, non-finite values,
    /// not unit norm, a hash the Redis provider cannot parse); the call went on as a miss.
    /// </summary>
    public void CacheLookupInvalid() => _cacheRequests.Add(1, new KeyValuePair<string, object?>("result", "invalid"));

    /// <summary>Records a cache lookup that failed (timeout, open circuit, Redis error); the call went on as a miss.</summary>
    public void CacheLookupFailed() => _cacheRequests.Add(1, new KeyValuePair<string, object?>("result", "error"));

    /// <summary>Counts a model package that could not be fetched, verified or loaded.</summary>
    public void ModelLoadFailed() => _loadFailures.Add(1);

    /// <summary>Records items applied from the item log and the served version's delta afterwards.</summary>
    public void ItemsApplied(int added, int removed, int refused, int deltaRows, int deltaRemoved)
    {
        _itemChanges.Add(added, new KeyValuePair<string, object?>("kind", "added"));
        _itemChanges.Add(removed, new KeyValuePair<string, object?>("kind", "removed"));
        _itemChanges.Add(refused, new KeyValuePair<string, object?>("kind", "refused"));
        ItemDelta(deltaRows, deltaRemoved);
    }

    /// <summary>Records the served version's delta (after a load or an apply).</summary>
    public void ItemDelta(int deltaRows, int deltaRemoved)
    {
        Volatile.Write(ref _itemsAdded, deltaRows);
        Volatile.Write(ref _itemsRemoved, deltaRemoved);
    }

    /// <summary>Records how long after its append an item-log entry was applied here.</summary>
    public void ItemEntryApplied(TimeSpan delay) => _itemApplyDelay.Record(Math.Max(0, delay.TotalSeconds));

    /// <summary>Counts an item-log entry that could not be read and was skipped.</summary>
    public void ItemLogEntryDamaged() => _itemLogDamaged.Add(1);

    /// <summary>Records when the oldest entry seen but not applied was appended (null: caught up).</summary>
    public void ItemLogUnapplied(DateTimeOffset? since) => Volatile.Write(ref _unappliedSince, since?.ToUnixTimeMilliseconds() ?? 0);

    /// <inheritdoc />
    public void BatchRan(int size, int queueDepth)
    {
        _batchSize.Record(size);
        Volatile.Write(ref _queueDepth, queueDepth);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Source.Dispose();
        Meter.Dispose();
    }
}
