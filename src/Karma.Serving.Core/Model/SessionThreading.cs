using Microsoft.ML.OnnxRuntime;

namespace Karma.Serving.Core.Model;

/// <summary>
/// CPU threading of the package's ONNX Runtime sessions. A server runs many small graphs at once (user tower,
/// pre-ranker, index searches on the thread pool), so each run gets few threads and idle threads sleep instead of
/// spinning: ORT's defaults (a spinning intra-op pool as wide as the machine per session) make concurrent runs fight
/// for the same cores. Measured on the 1M-item Search load test: see docs/performance.md.
/// </summary>
/// <param name="IntraOpThreads">Threads per run; 0 leaves ONNX Runtime's default (one per physical core).</param>
/// <param name="AllowSpinning">Let idle intra-op threads spin-wait for work (lower latency alone, wasted cores under load).</param>
public sealed record SessionThreading(int IntraOpThreads, bool AllowSpinning)
{
    /// <summary>ONNX Runtime's own defaults.</summary>
    public static SessionThreading OrtDefault { get; } = new(0, true);

    /// <summary>Applies the setting to session options.</summary>
    public void Apply(SessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads);
        if (IntraOpThreads > 0)
        {
            options.IntraOpNumThreads = IntraOpThreads;
        }

        options.AddSessionConfigEntry("session.intra_op.allow_spinning", AllowSpinning ? "1" : "0");
    }
}
