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

    public IndexKindsTests()
    {
        foreach (string f in Directory.GetFiles(ServerFixture.ModelPath))
        {
            File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<List<int>[]> TopRowsAsync(string kind, HnswQuantization quantization = HnswQuantization.Float32)
        => (await TopHitsAsync(kind, quantization)).Select(hits => hits.Select(h => h.Row).ToList()).ToArray();

    private async Task<List<Hit>[]> TopHitsAsync(string kind, HnswQuantization quantization = HnswQuantization.Float32)
    {
        var options = new ServingOptions { Index = kind, Device = Karma.Serving.Core.Model.InferenceDevice.Cpu, HnswQuantization = quantization };
        var model = ServingModel.Load(_dir, options, NullLogger.Instance);
        await using (model)
        {
            Assert.Equal(kind, model.Index.Kind);
            var results = new List<Hit>[20];
            for (int i = 0; i < results.Length; i++)
            {
                var (rows, query, _) = model.Encoder.Prepare(new UserContextInput([model.Package.Catalog.Ids[i * 37]], i % 2 == 0 ? "shoes" : null));
                var interest = model.Encoder.Run([(rows, query)])[0];
                results[i] = model.Index.Search(interest, 100).ToList();
            }

            return results;
        }
    }

    [Fact]
    public async Task OnnxExact_EqualsExact_AndHnswRecallsAtLeast95Percent()
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

        var exact = exactHits.Select(hits => hits.Select(h => h.Row).ToList()).ToArray();
        double recall = exact.Zip(hnsw).Average(p => p.First.Intersect(p.Second).Count() / 100.0);
        // 5,000 items, expansion 128: HNSW is near-exact at this size; 0.95 leaves room for graph randomness.
        Assert.True(recall >= 0.95, $"HNSW recall@100 {recall:F3}");
        Assert.True(File.Exists(Path.Combine(_dir, "index.hnsw-M16.usearch")), "the HNSW graph is persisted beside the package");
        var again = await TopRowsAsync("hnsw"); // loads the persisted graph
        Assert.Equal(hnsw, again);
    }

    [Fact]
    public async Task HnswFloat16_RecallsAtLeast93Percent_AndIsPersistedUnderItsOwnName()
    {
        var exact = await TopRowsAsync("exact");
        var half = await TopRowsAsync("hnsw", HnswQuantization.Float16);
        double recall = exact.Zip(half).Average(p => p.First.Intersect(p.Second).Count() / 100.0);
        // Rows are inserted from two threads, so the graph (and its recall) varies from build to build; on a loaded
        // 2-core machine float16 builds measured 0.949 to above 0.96, hence a lower bar than float32's.
        Assert.True(recall >= 0.93, $"float16 HNSW recall@100 {recall:F3}");
        Assert.True(File.Exists(Path.Combine(_dir, "index.hnsw-M16-f16.usearch")));
        Assert.False(File.Exists(Path.Combine(_dir, "index.hnsw-M16.usearch")), "a float32 graph was not asked for");
        Assert.Equal(half, await TopRowsAsync("hnsw", HnswQuantization.Float16));
    }
}
