using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Export.Onnx;
using Karma.Search.Hybrid;
using Karma.Search.Lexical;
using Karma.Serving.Core.Model;
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

        // The service's own checks (PackageContract, GraphContract), then a smoke query it would answer.
        var listed = PackageContract.CheckListing(dir, manifest, problems);
        checks.AddRange(listed.Where(f => f.Intact).Select(f => $"{f.File}: size and SHA-256 ok"));
        if (manifest.Dimensions is null || manifest.Limits is null)
        {
            return new VerifyReport(checks, problems);
        }

        bool Intact(string role) => listed.Any(f => f.Role == role && f.Intact);
        var features = SearchContract.Check(manifest, problems);
        if (features is not null)
        {
            checks.Add($"pre-ranker features: {features.Count} known ({string.Join(", ", features.Names)})");
        }

        var opened = new List<IDisposable>();
        try
        {
            var (tokenizer, layout) = Intact(PackageRoles.Tokenizer) ? OpenTokenizer(dir, manifest, problems) : (null, null);
            var tables = new Dictionary<string, VectorTable>();
            ItemCatalog? catalog = null;
            LexicalIndex? lexical = null;
            foreach (string role in PackageRoles.Tables.Where(Intact))
            {
                string path = Path.Combine(dir, manifest.Tables[role].File);
                try
                {
                    switch (role)
                    {
                        case PackageRoles.Catalog:
                            catalog = ItemCatalogFile.Read(path);
                            PackageContract.CheckCatalog(catalog, manifest, problems);
                            break;
                        case PackageRoles.Lexical:
                            lexical = LexicalIndexFile.Open(path, manifest.Dimensions.Items);
                            opened.Add(lexical);
                            checks.Add($"{manifest.Tables[role].File}: BM25 index of {lexical.Count} items opens");
                            break;
                        default:
                            var table = VectorTable.Open(path);
                            opened.Add(table);
                            tables[role] = table;
                            PackageContract.CheckTable(role, table, manifest, problems);
                            break;
                    }
                }
                catch (InvalidDataException e)
                {
                    problems.Add(e.Message);
                }
            }

            var sessions = OpenGraphs(dir, manifest, Intact, opened, checks, problems);
            CheckGraphs(manifest, sessions, features, tokenizer, problems);
            if (problems.Count == 0 && tokenizer is not null && layout is { } tokens && features is not null && catalog is not null && lexical is not null)
            {
                Smoke(manifest, tokenizer, tokens, tables, new ItemAttributes(catalog.Categories, tables[PackageRoles.ItemStatistics].AsSpan()),
                    lexical, features, sessions, checks, problems);
            }
        }
        finally
        {
            foreach (var d in opened)
            {
                d.Dispose();
            }
        }

        return new VerifyReport(checks, problems);
    }

    private static (IQueryTokenizer? Tokenizer, SequenceTokens? Layout) OpenTokenizer(string dir, ModelManifest manifest, List<string> problems)
    {
        try
        {
            var tokenizer = PackageTokenizer.Load(dir, manifest);
            return (tokenizer, PackageContract.CheckTokenizer(tokenizer, manifest, problems));
        }
        catch (InvalidDataException e)
        {
            problems.Add($"{manifest.Tokenizer.File}: {e.Message}");
            return (null, null);
        }
    }

    /// <summary>Loads each intact graph in ONNX Runtime and checks its signature against the manifest.</summary>
    private static Dictionary<string, OrtGraph> OpenGraphs(string dir, ModelManifest manifest, Func<string, bool> intact, List<IDisposable> opened,
        List<string> checks, List<string> problems)
    {
        var sessions = new Dictionary<string, OrtGraph>();
        foreach (string role in PackageRoles.Graphs.Concat(PackageRoles.OptionalGraphs).Where(intact))
        {
            var graph = manifest.Graphs[role];
            try
            {
                var session = new OrtGraph(File.ReadAllBytes(Path.Combine(dir, graph.File)));
                opened.Add(session);
                sessions[role] = session;
                int before = problems.Count;
                GraphContract.CheckSignature(graph, session.Session, problems);
                if (problems.Count == before)
                {
                    checks.Add($"{graph.File}: loads in ONNX Runtime, signature matches");
                }
            }
            catch (OnnxRuntimeException e)
            {
                problems.Add($"{graph.File}: ONNX Runtime cannot load it ({e.Message.Split('\n')[0]})");
            }
        }

        return sessions;
    }

    /// <summary>The graphs against the rest of the package, as the service checks them at load.</summary>
    private static void CheckGraphs(ModelManifest manifest, Dictionary<string, OrtGraph> sessions, FeatureSet? features, IQueryTokenizer? tokenizer,
        List<string> problems)
    {
        var dims = manifest.Dimensions;
        if (sessions.TryGetValue(PackageRoles.PreRank, out var preRank) && features is not null)
        {
            GraphContract.CheckPreRank(preRank.Session, dims.EmbedDim, features.Count, problems);
        }

        if (sessions.TryGetValue(PackageRoles.UserTower, out var user))
        {
            GraphContract.CheckTextInput(user.Session, manifest.TextEncoder, problems);
        }

        if (sessions.TryGetValue(PackageRoles.Decoder, out var decoder) && tokenizer is not null)
        {
            GraphContract.CheckDecoder(decoder.Session, dims.EmbedDim, tokenizer.VocabSize, problems);
        }
    }

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
