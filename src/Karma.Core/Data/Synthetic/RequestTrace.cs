namespace Karma.Core.Data.Synthetic;

/// <summary>
/// What the realistic simulator knew about one request but did not write (the file format has no place for
/// it): for tests and diagnostics.
/// </summary>
/// <param name="UserId">The user.</param>
/// <param name="RequestId">The request id in events.csv.</param>
/// <param name="Timestamp">The request's (impressions') time.</param>
/// <param name="NeedLeaf">The need's leaf, as an index into <see cref="Catalog.Leaves"/>.</param>
/// <param name="Interests">The user's interests when the request was made (leaf indices).</param>
/// <param name="OutOfInterest">True when the need was drawn outside the interests.</param>
/// <param name="Final">True for the user's final two requests.</param>
/// <param name="Reformulation">0 for a fresh request, 1 or 2 for the first or second rephrasing.</param>
/// <param name="Query">The query text, or null for browsing.</param>
internal sealed record RequestTrace(
    string UserId,
    string RequestId,
    long Timestamp,
    int NeedLeaf,
    int[] Interests,
    bool OutOfInterest,
    bool Final,
    int Reformulation,
    string? Query);
