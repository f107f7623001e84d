using HdrHistogram;

namespace Karma.LoadTesting;

/// <summary>Corrected and uncorrected latency histograms (microseconds, 3 significant digits) plus errors by status.</summary>
public sealed class LatencyRecorder
{
    private const long MaxMicroseconds = 10L * 60 * 1_000_000;
    private readonly object _gate = new();
    private readonly Dictionary<string, long> _errors = new(StringComparer.Ordinal);

    /// <summary>Latency from the due time.</summary>
    public LongHistogram Corrected { get; } = new(MaxMicroseconds, 3);

    /// <summary>Latency from the actual send.</summary>
    public LongHistogram Uncorrected { get; } = new(MaxMicroseconds, 3);

    /// <summary>Completed requests (successes and errors).</summary>
    public long Completed { get; private set; }

    /// <summary>Errors by gRPC status name.</summary>
    public IReadOnlyDictionary<string, long> Errors
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, long>(_errors);
            }
        }
    }

    /// <summary>Records one finished request; <paramref name="status"/> is null for success.</summary>
    public void Record(RequestTiming timing, string? status)
    {
        long corrected = Clamp(timing.Corrected), uncorrected = Clamp(timing.Uncorrected);
        lock (_gate)
        {
            Completed++;
            if (status is not null)
            {
                _errors[status] = _errors.GetValueOrDefault(status) + 1;
                return;
            }

            Corrected.RecordValue(corrected);
            Uncorrected.RecordValue(uncorrected);
        }
    }

    /// <summary>A percentile of the corrected latency in milliseconds.</summary>
    public double CorrectedMs(double percentile)
    {
        lock (_gate)
        {
            return Corrected.TotalCount == 0 ? double.NaN : Corrected.GetValueAtPercentile(percentile) / 1000.0;
        }
    }

    private static long Clamp(TimeSpan t) => Math.Clamp((long)(t.TotalMilliseconds * 1000), 1, MaxMicroseconds);
}
