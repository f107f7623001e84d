namespace Karma.LoadTesting;

/// <summary>How many calls ended with one status, and how long they took.</summary>
/// <param name="Count">Calls with this outcome.</param>
/// <param name="Corrected">Latency from the due time (what a user waited).</param>
/// <param name="Uncorrected">Latency from the send (how fast the service answered once asked).</param>
public sealed record StatusLatency(long Count, Percentiles Corrected, Percentiles Uncorrected);
