using Karma.Core.Package;
using Karma.LoadTesting;
using Karma.Serving.Core.Inference;

namespace Karma.Bench;

/// <summary>The load tester's seeded contexts in the form the in-process encoder takes, so both measure the same requests.</summary>
internal static class SampledInputs
{
    /// <summary><paramref name="count"/> contexts of <paramref name="catalog"/> from a fixed seed.</summary>
    public static UserContextInput[] Take(ItemCatalog catalog, int count, int seed)
        => [.. new ContextSampler(catalog).Take(count, seed).Select(ToInput)];

    /// <summary>The encoder's input for a sampled context.</summary>
    public static UserContextInput ToInput(SampledContext context) => new(context.HistoryItemIds, context.Query);
}
