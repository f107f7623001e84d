using Karma.Core.Package;
using Karma.Serving.Contracts.V1;

namespace Karma.LoadTesting;

/// <summary>
/// Seeded user contexts for load tests and benchmarks, drawn from a catalog: 1–20 history items, and in 85% of
/// requests a query of two or three consecutive words from some item's title (fewer when the title is shorter), so
/// queries use the model's vocabulary.
/// </summary>
public sealed class ContextSampler(ItemCatalog catalog)
{
    private static readonly string[] FallbackWords = ["shoes", "red", "lamp", "mug", "running", "leather", "blue", "desk", "bag", "cotton"];

    /// <summary>The catalog contexts are drawn from.</summary>
    public ItemCatalog Catalog { get; } = catalog ?? throw new ArgumentNullException(nameof(catalog));

    /// <summary>The next context from <paramref name="rng"/>.</summary>
    public SampledContext Next(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int length = rng.Next(1, 21);
        var history = new string[length];
        for (int h = 0; h < length; h++)
        {
            history[h] = Catalog.Ids[rng.Next(Catalog.Count)];
        }

        return new SampledContext(history, rng.NextDouble() < 0.85 ? Query(rng) : null);
    }

    /// <summary><paramref name="count"/> contexts from a fixed seed.</summary>
    public SampledContext[] Take(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Next(rng)).ToArray();
    }

    /// <summary>The wire form of a sampled context.</summary>
    public static UserContext ToProto(SampledContext input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var context = new UserContext { Query = input.Query ?? string.Empty };
        context.HistoryItemIds.AddRange(input.HistoryItemIds);
        return context;
    }

    /// <summary>A random item id of the catalog.</summary>
    public string RandomItem(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return Catalog.Ids[rng.Next(Catalog.Count)];
    }

    private string Query(Random rng)
    {
        string? title = Catalog.Titles[rng.Next(Catalog.Count)];
        string[] words = string.IsNullOrWhiteSpace(title) ? FallbackWords : title.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int n = Math.Min(words.Length, rng.Next(2, 4));
        int start = rng.Next(words.Length - n + 1);
        return string.Join(' ', words, start, n);
    }
}
