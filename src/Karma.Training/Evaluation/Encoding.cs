using Karma.Core.Data;
using Karma.Training.Batching;
using Karma.Training.Modeling;
using static TorchSharp.torch;

namespace Karma.Training.Evaluation;

/// <summary>Inference helpers shared by evaluation and the pre-ranker: encode the catalog and users in chunks.</summary>
public static class Encoding
{
    /// <summary>Unit retrieval embeddings of every catalog item [N, D].</summary>
    public static Tensor EncodeCatalog(KarmaModel model, ItemFeatures items, int chunk = 2048)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (int start = 0; start < items.Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            var idx = arange(start, Math.Min(start + chunk, items.Count), dtype: int64);
            parts.Add(model.EncodeItems(items.Gather(idx)).Embedding.MoveToOuterDisposeScope());
        }

        var all = cat(parts, 0);
        parts.ForEach(p => p.Dispose());
        return all;
    }

    /// <summary>Interest embeddings h_t [M, D] of examples.</summary>
    public static Tensor EncodeUsers(KarmaModel model, ItemFeatures items, AlignBatchBuilder builder,
        IReadOnlyList<InteractionExample> examples, int chunk = 256, List<Tensor>? attention = null, int attentionLimit = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(examples);
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (int start = 0; start < examples.Count; start += chunk)
        {
            using var scope = NewDisposeScope();
            var slice = examples.Skip(start).Take(chunk).ToList();
            using var batch = builder.Build(slice, withGen: false, rng: null);
            var (hist, _) = model.EncodeItems(items.Gather(batch.UniqueItems));
            List<Tensor>? probs = attention is not null && start < attentionLimit ? [] : null; // detached from scopes by Attention
            var (_, interest) = model.EncodeSequence(batch.Tokens, batch.HistorySlot, hist, batch.InterestPosition, probs, batch.QueryEmbedding);
            if (probs is not null)
            {
                // Keep [B, H, T, T] per layer plus the valid lengths (interest position + 1).
                var lengths = (batch.InterestPosition + 1).DetachFromDisposeScope();
                attention!.Add(lengths);
                foreach (var p in probs)
                {
                    attention.Add(p);
                }
            }

            parts.Add(interest.MoveToOuterDisposeScope());
        }

        var all = cat(parts, 0);
        parts.ForEach(p => p.Dispose());
        return all;
    }
}
