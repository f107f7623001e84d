namespace Karma.Core.Data.Synthetic;

/// <summary>Running totals of what the simulator emitted.</summary>
internal sealed class EventCounters
{
    public long Requests { get; set; }

    public long Events { get; set; }

    public long Impressions { get; set; }

    public long Clicks { get; set; }

    public long Carts { get; set; }

    public long Purchases { get; set; }

    /// <summary>Requests whose need was outside the user's interests (realistic presets).</summary>
    public long OutOfInterestRequests { get; set; }

    /// <summary>Users whose final request's need was outside their interests (realistic presets).</summary>
    public int FinalOutOfInterest { get; set; }

    /// <summary>Requests that rephrase an earlier query without a click (realistic presets).</summary>
    public long Reformulations { get; set; }

    /// <summary>Impressions per 0-based position on the result page (realistic presets).</summary>
    public long[] ShownAt { get; } = new long[ProductionRanker.PageSize];

    /// <summary>Clicks per 0-based position on the result page (realistic presets).</summary>
    public long[] ClickedAt { get; } = new long[ProductionRanker.PageSize];
}
