namespace Karma.Core.Data.Synthetic;

/// <summary>What the realistic mechanisms of a generated data set produced.</summary>
/// <param name="OutOfInterestRequests">Requests whose need lay outside the user's interests (rephrasings included).</param>
/// <param name="FinalOutOfInterest">Users whose final request (the test request) was out of interest.</param>
/// <param name="ReformulatedRequests">Requests that rephrase a query that got no click.</param>
/// <param name="LateItems">Items that arrived after the period's start (the cold items included).</param>
/// <param name="ClickThroughByPosition">Clicks / impressions at each result-page position, top first.</param>
public sealed record RealismSummary(
    long OutOfInterestRequests,
    int FinalOutOfInterest,
    long ReformulatedRequests,
    int LateItems,
    IReadOnlyList<double> ClickThroughByPosition)
{
    /// <summary>Click-through rate at a 1-based position (1 = top), or NaN when nothing was shown there.</summary>
    public double ClickThroughAt(int position) =>
        position >= 1 && position <= ClickThroughByPosition.Count ? ClickThroughByPosition[position - 1] : double.NaN;
}
