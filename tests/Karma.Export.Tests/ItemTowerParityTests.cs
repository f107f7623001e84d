using Karma.Core.Data;
using Karma.Serving.Core.Items;
using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Export.Tests;

/// <summary>
/// The service's item tower path (<see cref="ItemTowerEncoder"/>: featurization in Karma.Serving.Core, the package's
/// item_tower.onnx) against the tables the exporter wrote for the same items: what an item upserted while serving gets
/// is what the export would have given it.
/// </summary>
public sealed class ItemTowerParityTests(TinyCheckpointFixture fx) : IClassFixture<TinyCheckpointFixture>
{
    [Fact]
    public void ItemsEmbeddedWhileServing_MatchTheExportedTables()
    {
        using var package = ModelPackage.Load(fx.Package, InferenceDevice.Cpu, NullLogger.Instance);
        var items = ItemsJsonl.Read(Path.Combine(fx.Data, ItemsJsonl.FileName), BadRowPolicy.Fail, new BadRowReport());
        var encoder = ItemTowerEncoder.For(package, out string? reason) ?? throw new InvalidOperationException(reason);
        // More than one item-tower batch, so batching is covered too.
        var sample = items.Take(ItemTowerEncoder.BatchSize + 37).ToList();
        Assert.True(sample.Count > ItemTowerEncoder.BatchSize, $"the fixture has only {sample.Count} items");
        var (history, embeddings) = encoder.Encode(sample);
        int d = package.HistoryTokens.Cols, dim = package.Embeddings.Cols;
        var expectedHistory = new float[d];
        var expectedEmbedding = new float[dim];
        double worst = 0;
        for (int i = 0; i < sample.Count; i++)
        {
            int row = package.Catalog.RowOf(sample[i].ItemId);
            Assert.True(row >= 0, sample[i].ItemId);
            package.HistoryTokens.CopyRow(row, expectedHistory);
            package.Embeddings.CopyRow(row, expectedEmbedding);
            for (int j = 0; j < d; j++)
            {
                worst = Math.Max(worst, Math.Abs(expectedHistory[j] - history[(i * d) + j]));
            }

            for (int j = 0; j < dim; j++)
            {
                worst = Math.Max(worst, Math.Abs(expectedEmbedding[j] - embeddings[(i * dim) + j]));
            }
        }

        Assert.True(worst < 1e-5, $"largest difference from the exported tables: {worst:E2}");
    }

    [Fact]
    public void ItemsTheModelCannotRead_AreNamed()
    {
        using var package = ModelPackage.Load(fx.Package, InferenceDevice.Cpu, NullLogger.Instance);
        var encoder = ItemTowerEncoder.For(package, out _)!;
        int image = package.Manifest.Dimensions.ImageDim;
        Assert.True(image > 0);
        var ok = new Item("n1", "red lamp", null, package.Catalog.Categories[0], null, 3, new float[image]);
        Assert.Null(encoder.Problem(ok));
        Assert.Contains("image_embedding is missing", encoder.Problem(ok with { ImageEmbedding = null }), StringComparison.Ordinal);
        Assert.Contains($"has {image + 1} numbers", encoder.Problem(ok with { ImageEmbedding = new float[image + 1] }), StringComparison.Ordinal);
        var nan = new float[image];
        nan[3] = float.NaN;
        Assert.Contains("not a finite number", encoder.Problem(ok with { ImageEmbedding = nan }), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => encoder.Encode([ok, ok with { ImageEmbedding = nan }]));
    }
}
