using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Export.Onnx;
using Karma.Export.Towers;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;
using Microsoft.ML.OnnxRuntime;

namespace Karma.Export.Packaging;

/// <summary>Outcome of <see cref="PackageVerifier.Verify"/>: every check made and every problem found (by file).</summary>
public sealed record VerifyReport(IReadOnlyList<string> Checks, IReadOnlyList<string> Problems)
{
    /// <summary>True when nothing is wrong.</summary>
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Checks a model package the way the service will load it: manifest, every file's size and SHA-256, table
/// shapes, tokenizer, lexical index, the pre-ranker's feature list, each graph loaded in ONNX Runtime with the
/// signature the manifest promises, and a smoke query through user tower, both recall channels and pre-ranker.
/// </summary>
public static class PackageVerifier
{
    /// <summary>Verifies; never throws for a bad package: every failure becomes a reported problem.</summary>
    public static VerifyReport Verify(string dir)
    {
        try
        {
            return VerifyUnchecked(dir);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A manifest can be valid JSON and still nonsensical (nulls, wrong types); report, do not crash.
            return new VerifyReport([], [$"{Path.Combine(dir, ModelManifest.FileName)}: cannot be checked ({e.GetType().Name}: {e.Message})"]);
        }
    }

    private static VerifyReport VerifyUnchecked(string dir)
    {
        var checks = new List<string>();
        var problems = new List<string>();
        ModelManifest manifest;
        try
        {
            manifest = ModelManifest.Read(dir);
            checks.Add($"manifest: {manifest.ModelVersion}");
        }
        catch (InvalidDataException e)
        {
            problems.Add(e.Message);
            return new VerifyReport(checks, problems);
        }

        bool FileOk(string file, string sha, long bytes)
        {
            if (PackageFiles.Problem(dir, file, sha, bytes) is { } problem)
            {
                problems.Add(problem);
                return false;
            }

            checks.Add($"{file}: size and SHA-256 ok");
            return true;
        }

        var dims = manifest.Dimensions;
        IQueryTokenizer? tokenizer = null;
        SequenceTokens? layout = null;
        if (FileOk(manifest.Tokenizer.File, manifest.Tokenizer.Sha256, manifest.Tokenizer.Bytes))
        {
            try
            {
                tokenizer = PackageTokenizer.Load(dir, manifest);
                if (tokenizer.VocabSize != dims.VocabSize)
                {
                    problems.Add($"{manifest.Tokenizer.File}: vocabulary {tokenizer.VocabSize}, manifest says {dims.VocabSize}");
                }

                layout = SequenceTokens.From(manifest.SpecialTokens, tokenizer.VocabSize, out string? layoutProblem);
                if (layoutProblem is not null)
                {
                    problems.Add(layoutProblem);
                }
            }
            catch (InvalidDataException e)
            {
                problems.Add($"{manifest.Tokenizer.File}: {e.Message}");
            }
        }

        var features = SearchContract.Check(manifest, problems);
        if (features is not null)
        {
            checks.Add($"pre-ranker features: {features.Count} known ({string.Join(", ", features.Names)})");
        }

        var expectedCols = new Dictionary<string, int>
        {
            [PackageRoles.Embeddings] = dims.EmbedDim,
            [PackageRoles.HistoryTokens] = dims.DModel,
            [PackageRoles.ItemStatistics] = ItemStatistics.Count,
        };
        var tables = new Dictionary<string, VectorTable>();
        ItemCatalog? itemCatalog = null;
        LexicalIndex? lexical = null;
        try
        {
            foreach (string role in PackageRoles.Tables)
            {
                if (!manifest.Tables.TryGetValue(role, out var t))
                {
                    problems.Add($"manifest: no '{role}' table");
                    continue;
                }

                if (!FileOk(t.File, t.Sha256, t.Bytes))
                {
                    continue;
                }

                try
                {
                    if (role == PackageRoles.Catalog)
                    {
                        itemCatalog = ItemCatalogFile.Read(Path.Combine(dir, t.File));
                        if (itemCatalog.Count != dims.Items)
                        {
                            problems.Add($"{t.File}: {itemCatalog.Count} items, manifest says {dims.Items}");
                        }

                        continue;
                    }

                    if (role == PackageRoles.Lexical)
                    {
                        lexical = LexicalIndexFile.Open(Path.Combine(dir, t.File), dims.Items);
                        checks.Add($"{t.File}: BM25 index of {lexical.Count} items opens");
                        continue;
                    }

                    var table = VectorTable.Open(Path.Combine(dir, t.File));
                    tables[role] = table;
                    if (table.Rows != dims.Items || table.Rows != t.Rows || table.Cols != t.Cols || table.Cols != expectedCols[role])
                    {
                        problems.Add($"{t.File}: shape [{table.Rows}, {table.Cols}], manifest says [{t.Rows}, {t.Cols}] with {dims.Items} items and width {expectedCols[role]}");
                    }
                }
                catch (InvalidDataException e)
                {
                    problems.Add(e.Message);
                }
            }

            var sessions = new Dictionary<string, OrtGraph>();
            try
            {
                foreach (string role in PackageRoles.Graphs.Concat(PackageRoles.OptionalGraphs.Where(manifest.Graphs.ContainsKey)))
                {
                    if (!manifest.Graphs.TryGetValue(role, out var graph))
                    {
                        problems.Add($"manifest: no '{role}' graph");
                        continue;
                    }

                    if (!FileOk(graph.File, graph.Sha256, graph.Bytes))
                    {
                        continue;
                    }

                    try
                    {
                        var session = new OrtGraph(File.ReadAllBytes(Path.Combine(dir, graph.File)));
                        sessions[role] = session;
                        var inputs = PackageStage.Signature(session.Session.InputMetadata);
                        var outputs = PackageStage.Signature(session.Session.OutputMetadata);
                        if (!SameSignature(inputs, graph.Inputs) || !SameSignature(outputs, graph.Outputs))
                        {
                            problems.Add($"{graph.File}: inputs/outputs differ from the manifest");
                        }
                        else
                        {
                            checks.Add($"{graph.File}: loads in ONNX Runtime, signature matches");
                        }
                    }
                    catch (OnnxRuntimeException e)
                    {
                        problems.Add($"{graph.File}: ONNX Runtime cannot load it ({e.Message.Split('\n')[0]})");
                    }
                }

                if (problems.Count == 0 && tokenizer is not null && layout is { } tokens && features is not null && itemCatalog is not null && lexical is not null)
                {
                    Smoke(manifest, tokenizer, tokens, tables, new ItemAttributes(itemCatalog.Categories, tables[PackageRoles.ItemStatistics].AsSpan()),
                        lexical, features, sessions, checks, problems);
                }
            }
            finally
            {
                foreach (var s in sessions.Values)
                {
                    s.Dispose();
                }
            }
        }
        finally
        {
            foreach (var t in tables.Values)
            {
                t.Dispose();
            }

            lexical?.Dispose();
        }

        return new VerifyReport(checks, problems);
    }

    private static bool SameSignature(List<ManifestTensor> actual, IReadOnlyList<ManifestTensor> expected)
        => actual.Count == expected.Count && actual.Zip(expected).All(p =>
            p.First.Name == p.Second.Name && p.First.ElementType == p.Second.ElementType && p.First.Shape.SequenceEqual(p.Second.Shape));

    private static void Smoke(ModelManifest manifest, IQueryTokenizer tokenizer, SequenceTokens layout, Dictionary<string, VectorTable> tables, ItemAttributes attributes,
        LexicalIndex lexical, FeatureSet features, Dictionary<string, OrtGraph> sessions, List<string> checks, List<string> problems)
    {
        var dims = manifest.Dimensions;
        const string queryText = "test query";
        int history = Math.Min(3, dims.Items);
        int[] query = [.. tokenizer.Encode(queryText).Take(manifest.Limits.MaxQueryTokens)];
        int length = InterestSequence.Length(history, query.Length);
        var ids = new long[length];
        int interestAt = InterestSequence.Layout(history, query, ids, layout);
        var historyTokens = new float[length * dims.DModel];
        for (int i = 0; i < history; i++)
        {
            tables[PackageRoles.HistoryTokens].CopyRow(i, historyTokens.AsSpan((InterestSequence.FirstHistoryPosition + i) * dims.DModel, dims.DModel));
        }

        float[] interest;
        using (var a = OrtGraph.Tensor(ids, 1, length))
        using (var b = OrtGraph.Tensor(historyTokens, 1, length, dims.DModel))
        using (var c = OrtGraph.Tensor(new long[] { interestAt }, 1))
        {
            interest = sessions[PackageRoles.UserTower].Run([(TowerNames.InputIds, a), (TowerNames.HistoryTokens, b), (TowerNames.InterestPosition, c)], TowerNames.Interest)[0];
        }

        double norm = Math.Sqrt(interest.Sum(x => (double)x * x));
        if (interest.Length != dims.EmbedDim || interest.Any(x => !float.IsFinite(x)) || Math.Abs(norm - 1) > 1e-3)
        {
            problems.Add($"user tower smoke query: expected a finite unit vector of {dims.EmbedDim}, got length {interest.Length}, norm {norm:F4}");
            return;
        }

        var emb = tables[PackageRoles.Embeddings];
        var row = new float[dims.EmbedDim];
        var scored = new List<(int Index, float Score)>(dims.Items);
        for (int i = 0; i < dims.Items; i++)
        {
            emb.CopyRow(i, row);
            scored.Add((i, System.Numerics.Tensors.TensorPrimitives.Dot(interest.AsSpan(), row)));
        }

        using var matches = lexical.Match(queryText);
        var request = new RequestContext(interest, Enumerable.Range(0, history).ToList(), hasQuery: true, matches, emb, attributes,
            new LeafCentroids(emb, attributes));
        var karma = scored.OrderByDescending(s => s.Score).Take(10).Select(s => new ChannelHit(s.Index, s.Score)).ToList();
        var candidates = HybridFusion.Fuse(karma, matches.Top(10).Select(h => new ChannelHit(h.Row, h.Score)).ToList(),
            CategoryChannel.Recall(request, attributes, 10));
        int k = candidates.Count, f = features.Count;
        var cand = new float[k * dims.EmbedDim];
        var feats = new float[k * f];
        new CandidateFeatures(features, emb, attributes).Compute(request, candidates.Rows, cand, feats);
        float[] scores;
        using (var u = OrtGraph.Tensor(interest, 1, dims.EmbedDim))
        using (var e = OrtGraph.Tensor(cand, 1, k, dims.EmbedDim))
        using (var x = OrtGraph.Tensor(feats, 1, k, f))
        {
            scores = sessions[PackageRoles.PreRank].Run([(TowerNames.User, u), (TowerNames.Candidates, e), (TowerNames.Features, x)], TowerNames.Scores)[0];
        }

        if (scores.Length != k || scores.Any(s => !float.IsFinite(s)))
        {
            problems.Add("prerank smoke query: scores are missing or not finite");
            return;
        }

        checks.Add($"smoke query: user tower -> {k} fused candidates (embedding, BM25 and category channels) of {dims.Items} items -> pre-ranker scores ok");
    }
}
