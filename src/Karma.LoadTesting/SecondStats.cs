namespace Karma.LoadTesting;

/// <summary>Requests due in one second of the run.</summary>
/// <param name="Second">Start of the second (after the warm-up).</param>
/// <param name="Sent">Requests due in it (timeline entries: every k-th request when the timeline is sampled).</param>
/// <param name="Ok">Successes among them.</param>
/// <param name="Errors">Failures by status.</param>
/// <param name="OkP50Ms">Median corrected latency of the successes (NaN without any).</param>
/// <param name="OkP99Ms">99th percentile corrected latency of the successes (NaN without any).</param>
public sealed record SecondStats(double Second, long Sent, long Ok, IReadOnlyDictionary<string, long> Errors, double OkP50Ms, double OkP99Ms);
