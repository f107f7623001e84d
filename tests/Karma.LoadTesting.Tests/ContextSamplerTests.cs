using Karma.Core.Package;

namespace Karma.LoadTesting.Tests;

public sealed class ContextSamplerTests
{
    [Fact]
    public void ContextSampler_IsSeeded_AndDrawsFromTheCatalog()
    {
        var catalog = ItemCatalogFile.Read(Path.Combine(RepositoryPaths.DefaultModel, ItemCatalogFile.FileName));
        var sampler = new ContextSampler(catalog);
        var a = sampler.Take(200, seed: 4);
        var b = sampler.Take(200, seed: 4);
        Assert.Equal(a.Select(c => string.Join(',', c.HistoryItemIds) + "|" + c.Query), b.Select(c => string.Join(',', c.HistoryItemIds) + "|" + c.Query));
        Assert.All(a, c =>
        {
            Assert.InRange(c.HistoryItemIds.Count, 1, 20);
            Assert.All(c.HistoryItemIds, id => Assert.True(catalog.IndexOf.ContainsKey(id)));
        });
        var withQuery = a.Where(c => c.Query is not null).ToList();
        Assert.InRange(withQuery.Count, 140, 195); // about 85%
        var titleWords = catalog.Titles.Where(t => t is not null).SelectMany(t => t!.Split(' ')).ToHashSet(StringComparer.Ordinal);
        Assert.All(withQuery, c => Assert.All(c.Query!.Split(' '), w => Assert.Contains(w, titleWords)));
    }
}
