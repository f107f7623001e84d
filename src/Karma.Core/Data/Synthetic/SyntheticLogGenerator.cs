using System.Diagnostics;

namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Writes a seeded, Taobao-like search log (docs/synthetic-data.md): <c>items.jsonl</c> and <c>events.csv</c>.
/// The same preset and seed give byte-identical files.
/// </summary>
public static class SyntheticLogGenerator
{
    /// <summary>Generates the catalog and the log into <paramref name="outDir"/> (created if missing).</summary>
    /// <param name="preset">Sizes; see <see cref="SyntheticPreset.Get"/>.</param>
    /// <param name="seed">Seed of the one random stream everything derives from.</param>
    /// <param name="outDir">Output directory; existing files of the same names are replaced.</param>
    /// <param name="progress">Receives a line roughly every 10% of each phase.</param>
    public static SyntheticSummary Generate(SyntheticPreset preset, int seed, string outDir, IProgress<string>? progress = null) =>
        Generate(preset, seed, outDir, progress, trace: null);

    /// <summary>As the public overload; <paramref name="trace"/> receives what the realistic simulator knew about each request.</summary>
    internal static SyntheticSummary Generate(SyntheticPreset preset, int seed, string outDir, IProgress<string>? progress,
        Action<RequestTrace>? trace)
    {
        ArgumentNullException.ThrowIfNull(preset);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        preset.Validate();
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);

        var streams = new PhaseStreams(seed, preset.Realism is not null);
        var catalog = Catalog.Build(preset, streams.Catalog, streams.Realism);
        progress?.Report($"catalog: {catalog.Count:N0} items in {catalog.Leaves.Length} leaf categories");
        IImageModel images = preset.Realism is { } realism
            ? new NuisanceImageFeatures(preset.ImageDim, realism, streams.Image)
            : new ImageFeatures(preset.ImageDim, streams.Image);
        ItemsJsonl.Write(Path.Combine(outDir, ItemsJsonl.FileName), Items(catalog, images, streams.Text, progress));

        var counters = new EventCounters();
        var events = preset.Realism is null
            ? new SessionSimulator(catalog, preset, streams.Event, counters).Events(progress)
            : new RealisticSessionSimulator(catalog, preset, streams.Event, counters, trace).Events(progress);
        EventsCsv.Write(Path.Combine(outDir, EventsCsv.FileName), events);

        string[] cold = Enumerable.Range(0, catalog.Count).Where(i => catalog.Cold[i]).Select(i => catalog.Ids[i]).ToArray();
        return new SyntheticSummary(preset.Name, seed, catalog.Count, preset.Users, catalog.Leaves.Length,
            counters.Requests, counters.Events, counters.Impressions, counters.Clicks, counters.Carts, counters.Purchases,
            cold, clock.Elapsed.TotalSeconds, RealismSummaryOf(catalog, preset, counters));
    }

    /// <summary>The latent catalog <see cref="Generate(SyntheticPreset, int, string, IProgress{string}?)"/> builds for a preset and seed (without the items phase's prices and title words).</summary>
    internal static Catalog BuildCatalog(SyntheticPreset preset, int seed)
    {
        ArgumentNullException.ThrowIfNull(preset);
        preset.Validate();
        var streams = new PhaseStreams(seed, preset.Realism is not null);
        return Catalog.Build(preset, streams.Catalog, streams.Realism);
    }

    private static RealismSummary? RealismSummaryOf(Catalog catalog, SyntheticPreset preset, EventCounters counters)
    {
        if (catalog.Arrival is not { } arrival)
        {
            return null;
        }

        long start = SimulationPeriod.For(preset).Start;
        double[] ctr = counters.ShownAt.Select((shown, p) => shown == 0 ? double.NaN : counters.ClickedAt[p] / (double)shown).ToArray();
        return new RealismSummary(counters.OutOfInterestRequests, counters.FinalOutOfInterest, counters.Reformulations,
            arrival.Count(t => t > start), ctr);
    }

    private static IEnumerable<Item> Items(Catalog catalog, IImageModel images, Random random, IProgress<string>? progress)
    {
        var tax = Taxonomy.Instance;
        int n = catalog.Count;
        int nextReport = 1;
        for (int i = 0; i < n; i++)
        {
            var (title, description) = TextBuilder.ItemText(catalog, i, random);
            var leaf = catalog.Leaves[catalog.Leaf[i]];
            var top = tax.Tops[leaf.Top];
            double logPrice = top.LogPrice + catalog.LeafPriceOffset[catalog.Leaf[i]]
                + (tax.Styles[catalog.Style[i]].Key == "luxury" ? 0.6 : 0) + (0.5 * random.NextGaussian());
            double price = Math.Max(0.5, Math.Round(Math.Exp(logPrice), 2));
            catalog.LogPrice[i] = (float)Math.Log(price); // the price the file shows, for the realistic users' price fit
            string? brand = catalog.Brand[i] >= 0 ? top.Brands[catalog.Brand[i]] : null;
            yield return new Item(catalog.Ids[i], title, description, leaf.Path, brand, price, images.For(catalog, i, random));
            if (progress is not null && (i + 1) * 10L >= nextReport * (long)n)
            {
                progress.Report($"items: {nextReport * 10}% ({i + 1:N0} items)");
                nextReport = (int)((i + 1) * 10L / n) + 1;
            }
        }
    }
}
