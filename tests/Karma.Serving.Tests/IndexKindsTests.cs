using Karma.Serving.Configuration;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Inference;
using Karma.Serving.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Serving.Tests;

/// <summary>Each configurable index serves the shipped model and agrees with exact search.</summary>
public sealed class IndexKindsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-index-kinds-").FullName;

    public IndexKindsTests() => TestFiles.CopyFiles(ServerFixture.ModelPath, _dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<List<int>[]> TopRowsAsync(string kind, HnswQuantization quantization = HnswQuantization.Float32)
        => (await TopHitsAsync(kind, quantization)).Select(hits => hits.Select(h => h.Row).ToList()).ToArray();

    private async Task<List<Hit>[]> TopHitsAsync(string kind, HnswQuantization quantization = HnswQuantization.Float32, int k = 100)
    {
        // Search expansion 512: at the default 128 (barely above k = 100) the shipped model's tightly clustered items gave
        // recall@100 of 0.948-0.958 from build to build (rows are inserted from two threads), too close to any fixed bar.
        var options = new ServingOptions
        {
            Index = kind, Device = Karma.Serving.Core.Model.InferenceDevice.Cpu, HnswQuantization = quantization, HnswExpansionSearch = 512,
        };
        var model = ServingModel.Load(_dir, options, NullLogger.Instance);
        await using (model)
        {
            Assert.Equal(kind, model.Index.Kind);
            var results = new List<Hit>[20];
            for (int i = 0; i < results.Length; i++)
            {
                var (prepared, _) = model.Encoder.Prepare(new UserContextInput([model.Package.Catalog.Ids[i * 37]], i % 2 == 0 ? "shoes" : null));
                var rows = prepared.Rows;
                var interest = model.Encoder.Run([prepared])[0];
                results[i] = model.Index.Search(interest, k).ToList();
            }

            return results;
        }
    }

    /// <summary>
    /// Recall@100 that counts ties as hits: the catalog has items with the same text and features, hence the same
    /// embedding, so which of several tied items fills the last places of an exact top 100 is arbitrary. A returned row
    /// counts when its exact score reaches the exact 100th score (the exact top 200 holds every such row).
    /// </summary>
    private static double TieAwareRecall(List<Hit>[] exactTop200, List<int>[] approximate)
        => exactTop200.Zip(approximate).Average(p =>
        {
            float cut = p.First[99].Score - 1e-5f;
            var atLeastCut = p.First.Where(h => h.Score >= cut).Select(h => h.Row).ToHashSet();
            return p.Second.Take(100).Count(atLeastCut.Contains) / 100.0;
        });

    [Fact]
    public async Task OnnxExact_EqualsExact_AndHnswRecallsAtLeast97Percent()
    {
        var exactHits = await TopHitsAsync("exact");
        var onnxHits = await TopHitsAsync("onnx-exact");
        var hnsw = await TopRowsAsync("hnsw");
        for (int i = 0; i < exactHits.Length; i++)
        {
            // The same ranking; a MatMul and a SIMD dot product round differently, so items whose scores tie to ~1e-7
            // (items with the same text and features) may trade places: positions must agree in score, and rows wherever
            // the scores are apart.
            for (int j = 0; j < exactHits[i].Count; j++)
            {
                Assert.True(Math.Abs(exactHits[i][j].Score - onnxHits[i][j].Score) < 1e-5, $"query {i}, position {j}");
                bool tied = exactHits[i].Count(h => Math.Abs(h.Score - exactHits[i][j].Score) < 1e-5) > 1;
                Assert.True(tied || exactHits[i][j].Row == onnxHits[i][j].Row, $"query {i}, position {j}: rows differ without a tie");
            }
        }

        double recall = TieAwareRecall(await TopHitsAsync("exact", k: 200), hnsw);
        // Expansion 512 measured 0.998 (float16: 0.999); 0.97 leaves room for the graph's build-to-build variation.
        Assert.True(recall >= 0.97, $"HNSW recall@100 {recall:F3}");
        Assert.True(File.Exists(Path.Combine(_dir, "index.hnsw-M16.usearch")), "the HNSW graph is persisted beside the package");
        var again = await TopRowsAsync("hnsw"); // loads the persisted graph
        Assert.Equal(hnsw, again);
    }

    [Fact]
    public async Task HnswFloat16_RecallsAtLeast97Percent_AndIsPersistedUnderItsOwnName()
    {
        var half = await TopRowsAsync("hnsw", HnswQuantization.Float16);
        double recall = TieAwareRecall(await TopHitsAsync("exact", k: 200), half);
        Assert.True(recall >= 0.97, $"float16 HNSW recall@100 {recall:F3}");
        Assert.True(File.Exists(Path.Combine(_dir, "index.hnsw-M16-f16.usearch")));
        Assert.False(File.Exists(Path.Combine(_dir, "index.hnsw-M16.usearch")), "a float32 graph was not asked for");
        Assert.Equal(half, await TopRowsAsync("hnsw", HnswQuantization.Float16));
    }
}
