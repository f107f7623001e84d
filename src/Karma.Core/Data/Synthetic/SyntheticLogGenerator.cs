using System.Diagnostics;

namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Writes a seeded, Taobao-like search log (DESIGN.md section 2): <c>items.jsonl</c> and <c>events.csv</c>.
/// The same preset and seed give byte-identical files.
/// </summary>
public static class SyntheticLogGenerator
{
    /// <summary>Generates the catalog and the log into <paramref name="outDir"/> (created if missing).</summary>
    /// <param name="preset">Sizes; see <see cref="SyntheticPreset.Get"/>.</param>
    /// <param name="seed">Seed of the one random stream everything derives from.</param>
    /// <param name="outDir">Output directory; existing files of the same names are replaced.</param>
    /// <param name="progress">Receives a line roughly every 10% of each phase.</param>
    public static SyntheticSummary Generate(SyntheticPreset preset, int seed, string outDir, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(preset);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        preset.Validate();
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);

        // One master stream; each phase gets its own stream seeded from it, in a fixed order.
        var master = new Random(seed);
        var catalogRandom = new Random(master.Next());
        var imageRandom = new Random(master.Next());
        var textRandom = new Random(master.Next());
        var eventRandom = new Random(master.Next());

        var catalog = Catalog.Build(preset, catalogRandom);
        progress?.Report($"catalog: {catalog.Count:N0} items in {catalog.Leaves.Length} leaf categories");
        var images = new ImageFeatures(preset.ImageDim, imageRandom);
        ItemsJsonl.Write(Path.Combine(outDir, ItemsJsonl.FileName), Items(catalog, images, textRandom, progress));

        var counters = new EventCounters();
        var simulator = new SessionSimulator(catalog, preset, eventRandom, counters);
        EventsCsv.Write(Path.Combine(outDir, EventsCsv.FileName), simulator.Events(progress));

        string[] cold = Enumerable.Range(0, catalog.Count).Where(i => catalog.Cold[i]).Select(i => catalog.Ids[i]).ToArray();
        return new SyntheticSummary(preset.Name, seed, catalog.Count, preset.Users, catalog.Leaves.Length,
            counters.Requests, counters.Events, counters.Impressions, counters.Clicks, counters.Carts, counters.Purchases,
            cold, clock.Elapsed.TotalSeconds);
    }

    private static IEnumerable<Item> Items(Catalog catalog, ImageFeatures images, Random random, IProgress<string>? progress)
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
