namespace Karma.LoadTesting;

/// <summary>A user context drawn by <see cref="ContextSampler"/>: the history (most recent last) and an optional query.</summary>
/// <param name="HistoryItemIds">Item ids of the history.</param>
/// <param name="Query">The query, or null for a history-only request.</param>
public sealed record SampledContext(IReadOnlyList<string> HistoryItemIds, string? Query);
