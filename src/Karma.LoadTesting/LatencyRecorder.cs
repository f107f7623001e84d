using HdrHistogram;

namespace Karma.LoadTesting;

/// <summary>
/// Latency histograms (microseconds, 3 significant digits) by outcome: for every status seen (OK and each error),
/// one from the due time (corrected) and one from the send (uncorrected); plus late successes. Thread-safe.
/// </summary>
public sealed class LatencyRecorder
{
    private const long MaxMicroseconds = 10L * 60 * 1_000_000;
    private readonly object _gate = new();
    private readonly Dictionary<string, (LongHistogram Corrected, LongHistogram Uncorrected)> _byStatus = new(StringComparer.Ordinal);

    /// <summary>An empty recorder.</summary>
    public LatencyRecorder()
    {
        _byStatus[CallStatus.Ok] = (Corrected, Uncorrected);
    }

    /// <summary>Latency of successful calls from the due time.</summary>
    public LongHistogram Corrected { get; } = NewHistogram();

    /// <summary>Latency of successful calls from the actual send.</summary>
    public LongHistogram Uncorrected { get; } = NewHistogram();

    /// <summary>Completed requests (successes and errors).</summary>
    public long Completed { get; private set; }

    /// <summary>
    /// Successes answered later than their deadline, measured from the send. The gRPC client cancels a call at its
    /// deadline (it becomes DEADLINE_EXCEEDED), so this counts only answers that won that race.
    /// </summary>
    public long LateOk { get; private set; }

    /// <summary>Errors by status name (<see cref="CallStatus"/>).</summary>
    public IReadOnlyDictionary<string, long> Errors
    {
        get
        {
            lock (_gate)
            {
                return _byStatus.Where(kv => kv.Key != CallStatus.Ok && kv.Value.Corrected.TotalCount > 0)
                    .ToDictionary(kv => kv.Key, kv => kv.Value.Corrected.TotalCount, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Records one finished request; <paramref name="status"/> is null for success.</summary>
    public void Record(RequestTiming timing, string? status) => Record(timing, status, null);

    /// <summary>
    /// Records one finished request; <paramref name="status"/> is null (or <see cref="CallStatus.Ok"/>) for success,
    /// and a success slower than <paramref name="deadline"/> from its send counts as late.
    /// </summary>
    public void Record(RequestTiming timing, string? status, TimeSpan? deadline)
    {
        long corrected = Clamp(timing.Corrected), uncorrected = Clamp(timing.Uncorrected);
        status ??= CallStatus.Ok;
        lock (_gate)
        {
            Completed++;
            if (!_byStatus.TryGetValue(status, out var histograms))
            {
                histograms = (NewHistogram(), NewHistogram());
                _byStatus[status] = histograms;
            }

            histograms.Corrected.RecordValue(corrected);
            histograms.Uncorrected.RecordValue(uncorrected);
            if (status == CallStatus.Ok && deadline is { } d && timing.Uncorrected > d)
            {
                LateOk++;
            }
        }
    }

    /// <summary>Count and latency of every outcome seen, OK included.</summary>
    public IReadOnlyDictionary<string, StatusLatency> ByStatus()
    {
        lock (_gate)
        {
            return _byStatus.Where(kv => kv.Value.Corrected.TotalCount > 0).ToDictionary(
                kv => kv.Key,
                kv => new StatusLatency(kv.Value.Corrected.TotalCount, Percentiles.Of(kv.Value.Corrected), Percentiles.Of(kv.Value.Uncorrected)),
                StringComparer.Ordinal);
        }
    }

    /// <summary>Requests that ended with <paramref name="status"/>.</summary>
    public long Count(string status)
    {
        lock (_gate)
        {
            return _byStatus.TryGetValue(status, out var h) ? h.Corrected.TotalCount : 0;
        }
    }

    /// <summary>A percentile of the successes' corrected latency in milliseconds.</summary>
    public double CorrectedMs(double percentile)
    {
        lock (_gate)
        {
            return Corrected.TotalCount == 0 ? double.NaN : Corrected.GetValueAtPercentile(percentile) / 1000.0;
        }
    }

    private static LongHistogram NewHistogram() => new(MaxMicroseconds, 3);

    private static long Clamp(TimeSpan t) => Math.Clamp((long)(t.TotalMilliseconds * 1000), 1, MaxMicroseconds);
}
