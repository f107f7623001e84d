namespace Karma.Core.Data.Synthetic;

/// <summary>What <see cref="SyntheticLogGenerator.Generate(SyntheticPreset, int, string, IProgress{string})"/> wrote.</summary>
/// <param name="Preset">Preset name.</param>
/// <param name="Seed">Seed used.</param>
/// <param name="Items">Catalog items written.</param>
/// <param name="Users">Users simulated.</param>
/// <param name="Leaves">Leaf categories used.</param>
/// <param name="Requests">Search requests.</param>
/// <param name="Events">Event rows written (all actions).</param>
/// <param name="Impressions">Impression rows.</param>
/// <param name="Clicks">Click rows.</param>
/// <param name="Carts">Cart rows.</param>
/// <param name="Purchases">Purchase rows.</param>
/// <param name="ColdItemIds">Items held back from every request before each user's final two (sorted by id).</param>
/// <param name="Seconds">Wall-clock time of the generation.</param>
/// <param name="Realism">What the realistic mechanisms produced; null for the original presets.</param>
public sealed record SyntheticSummary(
    string Preset,
    int Seed,
    int Items,
    int Users,
    int Leaves,
    long Requests,
    long Events,
    long Impressions,
    long Clicks,
    long Carts,
    long Purchases,
    IReadOnlyList<string> ColdItemIds,
    double Seconds,
    RealismSummary? Realism = null)
{
    /// <summary>Number of cold items.</summary>
    public int ColdItems => ColdItemIds.Count;
}
