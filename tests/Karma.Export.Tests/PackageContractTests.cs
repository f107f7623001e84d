using System.Text.Json.Nodes;
using Karma.Core.Package;
using Karma.Export.Packaging;
using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Export.Tests;

/// <summary>
/// <c>karma package verify</c> and the service's load make one set of checks (PackageContract, GraphContract): each damage
/// below is refused by both, in the same words.
/// </summary>
public sealed class PackageContractTests(TinyCheckpointFixture fx) : IClassFixture<TinyCheckpointFixture>
{
    public static TheoryData<string, string> Damages => new()
    {
        { "missing-graph", "user_tower.onnx: missing" },
        { "tampered-table", "item_embeddings.bin: SHA-256 does not match" },
        { "manifest-no-prerank", "manifest: no 'prerank' graph" },
        { "manifest-no-lexical", "manifest: no 'lexical' table" },
        { "manifest-embed-dim", "item_embeddings.bin: shape [" },
        { "manifest-table-cols", "manifest: table 'history_tokens' says" },
        { "manifest-items", "items, manifest says" },
        { "manifest-vocabulary", "tokenizer.json: vocabulary" },
        { "manifest-graph-input", "user_tower.onnx: inputs/outputs differ from the manifest" },
        { "manifest-text-encoder", "manifest names text encoder all-MiniLM-L6-v2" },
        { "manifest-special-token", "[INT]" },
        { "manifest-null-dimensions", "manifest: dimensions or limits missing" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void VerifierAndServiceLoad_RefuseTheSameDamage_InTheSameWords(string damage, string expected)
    {
        string dir = fx.CopyPackage("contract-" + damage);
        Damage(dir, damage);

        var report = PackageVerifier.Verify(dir);
        Assert.False(report.Ok);
        Assert.Contains(report.Problems, p => p.Contains(expected, StringComparison.Ordinal));

        var refused = Assert.Throws<InvalidDataException>(() => ModelPackage.Load(dir, InferenceDevice.Cpu, NullLogger.Instance).Dispose());
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
    }

    private static void Damage(string dir, string damage)
    {
        string path = Path.Combine(dir, ModelManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!;
        switch (damage)
        {
            case "missing-graph":
                File.Delete(Path.Combine(dir, "user_tower.onnx"));
                return;
            case "tampered-table":
                byte[] bytes = File.ReadAllBytes(Path.Combine(dir, "item_embeddings.bin"));
                bytes[^3] ^= 0x5A;
                File.WriteAllBytes(Path.Combine(dir, "item_embeddings.bin"), bytes);
                return;
            case "manifest-no-prerank":
                manifest["graphs"]!.AsObject().Remove(PackageRoles.PreRank);
                break;
            case "manifest-no-lexical":
                manifest["tables"]!.AsObject().Remove(PackageRoles.Lexical);
                break;
            case "manifest-embed-dim":
                manifest["dimensions"]!["embed_dim"] = 3;
                break;
            case "manifest-table-cols":
                manifest["tables"]![PackageRoles.HistoryTokens]!["cols"] = 5;
                break;
            case "manifest-items":
                // The tables say N rows and so does every file; a manifest claiming one item more is caught by the catalog's count first.
                manifest["dimensions"]!["items"] = manifest["dimensions"]!["items"]!.GetValue<int>() + 1;
                break;
            case "manifest-vocabulary":
                manifest["dimensions"]!["vocab_size"] = manifest["dimensions"]!["vocab_size"]!.GetValue<int>() + 7;
                break;
            case "manifest-graph-input":
                manifest["graphs"]![PackageRoles.UserTower]!["inputs"]![0]!["name"] = "token_ids";
                break;
            case "manifest-text-encoder":
                manifest["text_encoder"] = new JsonObject
                {
                    ["name"] = "all-MiniLM-L6-v2", ["model_sha256"] = "00", ["vocabulary_sha256"] = "00", ["dimensions"] = 384,
                    ["max_tokens"] = 32, ["source"] = "test",
                };
                break;
            case "manifest-null-dimensions":
                manifest["dimensions"] = null;
                break;
            case "manifest-special-token":
                manifest["special_tokens"]!["[INT]"] = 1_000_000;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, null);
        }

        File.WriteAllText(path, manifest.ToJsonString());
    }
}
