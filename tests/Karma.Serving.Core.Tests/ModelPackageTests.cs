using Karma.Core.Package;
using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Serving.Core.Tests;

public sealed class ModelPackageTests(DefaultPackage fx) : IClassFixture<DefaultPackage>
{
    [Fact]
    public void Load_DefaultPackage_FallsBackToCpuAndMapsTables()
    {
        var p = fx.Package;
        Assert.Equal("cpu", p.Device); // the CPU build of ONNX Runtime has no CUDA provider
        Assert.Equal(p.Manifest.Dimensions.Items, p.Embeddings.Rows);
        Assert.Equal(p.Manifest.Dimensions.EmbedDim, p.Embeddings.Cols);
        Assert.Equal(p.Manifest.Dimensions.Items, p.Catalog.Count);
        Assert.StartsWith("karma-", p.Version, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CpuDevice_IsCpu()
    {
        using var p = ModelPackage.Load(DefaultPackage.Path, InferenceDevice.Cpu, NullLogger.Instance);
        Assert.Equal("cpu", p.Device);
    }

    [Fact]
    public void Load_WithServingThreading_GivesTheSameEmbeddingsAsOrtDefaults()
    {
        using var tuned = ModelPackage.Load(DefaultPackage.Path, InferenceDevice.Cpu, NullLogger.Instance, new SessionThreading(1, AllowSpinning: false));
        var contexts = fx.Package.Catalog.Ids.Take(8).Select((id, i) => new Inference.UserContextInput([id], i % 2 == 0 ? "red shoes" : null)).ToList();
        var expected = new Inference.InterestEncoder(fx.Package).Encode(contexts, out _);
        var actual = new Inference.InterestEncoder(tuned).Encode(contexts, out _);
        for (int i = 0; i < contexts.Count; i++)
        {
            Assert.Equal(expected[i], actual[i], (a, b) => Math.Abs(a - b) < 1e-5f);
        }

        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionThreading(-1, false).Apply(options));
    }

    [Fact]
    public void Load_CudaDevice_FailsWithoutCuda()
        => Assert.ThrowsAny<Exception>(() => ModelPackage.Load(DefaultPackage.Path, InferenceDevice.Cuda, NullLogger.Instance));

    [Theory]
    [InlineData("user_tower.onnx", "user_tower.onnx: SHA-256 does not match")]
    [InlineData("item_embeddings.bin", "item_embeddings.bin: SHA-256 does not match")]
    public void Load_RefusesTamperedFiles_NamingThem(string file, string expected)
    {
        using var scratch = new TempDirectory("karma-pkg-");
        string dir = scratch.Path;
        TestFiles.CopyFiles(DefaultPackage.Path, dir);

        byte[] bytes = File.ReadAllBytes(Path.Combine(dir, file));
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(Path.Combine(dir, file), bytes);
        var error = Assert.Throws<InvalidDataException>(() => ModelPackage.Load(dir, InferenceDevice.Cpu, NullLogger.Instance));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingManifest_IsRefused()
    {
        using var scratch = new TempDirectory("karma-pkg-");
        string dir = scratch.Path;
        var error = Assert.Throws<InvalidDataException>(() => ModelPackage.Load(dir, InferenceDevice.Cpu, NullLogger.Instance));
        Assert.Contains(ModelManifest.FileName, error.Message, StringComparison.Ordinal);
    }
}
