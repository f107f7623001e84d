using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Export.Onnx;
using Karma.Onnx;
using Karma.Training.Modeling;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Karma.Export.Towers;

/// <summary>Builds the three graphs of a model package from trained weights.</summary>
public static class TowerGraphs
{
    /// <summary>User tower: sequence → h_t.</summary>
    public static ModelProto UserTower(KarmaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        var w = new Weights(model);
        var g = new GraphBuilder(PackageRoles.UserTower);
        var ids = g.Input(TowerNames.InputIds, DataType.Int64, "batch", "sequence");
        var hist = g.Input(TowerNames.HistoryTokens, DataType.Float, "batch", "sequence", c.DModel);
        var pos = g.Input(TowerNames.InterestPosition, DataType.Int64, "batch");
        var (emb, embShape) = w["backbone.tok_embeddings.weight"];
        var tokens = g.Gather(g.Constant("backbone.tok_embeddings.weight", emb, embShape), ids);
        var isItem = g.Unsqueeze(g.Equal(ids, g.ScalarInt64("item_token", SpecialTokens.Item)), 2);
        var x = g.Where(isItem, hist, tokens);
        if (c.HasTextEncoder)
        {
            var query = g.Input(TowerNames.QueryEmbedding, DataType.Float, "batch", c.TextDim);
            var projected = Layers.Linear(g, w, query, "query_proj");
            var values = g.Constant("one_hot_values", [0f, 1f], 2);
            var atInterest = g.Node("OneHot", [pos, g.Dim(ids, 1), values], null, ("axis", -1L));
            x = g.Add(x, g.Mul(g.Unsqueeze(atInterest, 2), g.Unsqueeze(projected, 1)));
        }

        var hidden = BackboneGraph.Hidden(g, w, x, c);
        var at = g.Node("GatherND", [hidden, g.Unsqueeze(pos, 1)], null, ("batch_dims", 1L));
        var interest = Layers.L2Normalize(g, Layers.Linear(g, w, at, "interest_head"));
        g.Output(interest, TowerNames.Interest, DataType.Float, "batch", c.EmbedDim);
        return g.Build("KARMA user tower: [BOS] [ITEM]xH [SEP] query [INT] -> unit next-interest embedding");
    }

    /// <summary>Item tower: features → history token and retrieval embedding.</summary>
    public static ModelProto ItemTower(KarmaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        var w = new Weights(model);
        var g = new GraphBuilder(PackageRoles.ItemTower);
        var ids = g.Input(TowerNames.ItemTextIds, DataType.Int64, "items", "tokens");
        var mask = g.Input(TowerNames.ItemTextMask, DataType.Float, "items", "tokens");
        var (emb, embShape) = w["backbone.tok_embeddings.weight"];
        var tokens = g.Gather(g.Constant("backbone.tok_embeddings.weight", emb, embShape), ids);
        var m = g.Unsqueeze(mask, 2);
        var text = g.Div(g.ReduceSum(g.Mul(tokens, m), keepDims: false, 1), g.Max(g.ReduceSum(m, keepDims: false, 1), g.Scalar("one", 1f)));
        var x = text;
        if (c.HasTextEncoder)
        {
            var sentence = g.Input(TowerNames.ItemTextEmbedding, DataType.Float, "items", c.TextDim);
            x = g.Add(x, Layers.Linear(g, w, sentence, "item_encoder.text_proj"));
        }

        if (c.ImageDim > 0)
        {
            var image = g.Input(TowerNames.ItemImage, DataType.Float, "items", c.ImageDim);
            var (mean, ms) = w["item_encoder.image_mean"];
            var (std, ss) = w["item_encoder.image_std"];
            var standardized = g.Div(g.Sub(image, g.Constant("image_mean", mean, ms)), g.Constant("image_std", std, ss));
            x = g.Add(x, Layers.Linear(g, w, standardized, "item_encoder.image_proj"));
        }

        if (c.IdBuckets > 0)
        {
            var bucket = g.Input(TowerNames.ItemIdBucket, DataType.Int64, "items");
            var (ide, ids2) = w["item_encoder.id_embeddings.weight"];
            x = g.Add(x, g.Gather(g.Constant("item_encoder.id_embeddings.weight", ide, ids2), bucket));
        }

        var h = Layers.RmsNorm(g, w, x, "item_encoder.fuse_norm", c.NormEps);
        h = g.Add(h, Layers.Linear(g, w, Layers.Gelu(g, Layers.Linear(g, w, h, "item_encoder.mlp_in")), "item_encoder.mlp_out"));
        g.Output(Layers.Linear(g, w, h, "item_encoder.history_proj"), TowerNames.HistoryToken, DataType.Float, "items", c.DModel);
        g.Output(Layers.L2Normalize(g, Layers.Linear(g, w, h, "item_encoder.embed_proj")), TowerNames.Embedding, DataType.Float, "items", c.EmbedDim);
        return g.Build("KARMA item tower: title tokens, image feature, id bucket -> history token and unit retrieval embedding");
    }

    /// <summary>
    /// L_rec's decoder, for Explain: [rec_prefix(h_t)] followed by the tokens decoded so far, through the backbone, to the
    /// next-token logits — the train-only decoder that keeps h_t readable, shipped so the service can read it. Greedy
    /// decoding calls it once per token.
    /// </summary>
    public static ModelProto Decoder(KarmaModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        var w = new Weights(model);
        var g = new GraphBuilder(PackageRoles.Decoder);
        var interest = g.Input(TowerNames.Interest, DataType.Float, "batch", c.EmbedDim);
        var ids = g.Input(TowerNames.DecoderIds, DataType.Int64, "batch", "tokens");
        var (emb, embShape) = w["backbone.tok_embeddings.weight"];
        var tokens = g.Gather(g.Constant("backbone.tok_embeddings.weight", emb, embShape), ids);
        // Position 0 is the prefix token; a placeholder column keeps every input non-empty (no zero-length tensors).
        var prefix = g.Unsqueeze(Layers.Linear(g, w, interest, "rec_prefix"), 1);
        var x = g.Concat(1, prefix, g.Slice(tokens, 1, 1, long.MaxValue));
        var hidden = BackboneGraph.Hidden(g, w, x, c);
        var last = g.Squeeze(g.Gather(hidden, g.Int64s("last_position", -1), 1), 1);
        g.Output(Layers.Linear(g, w, last, "backbone.output"), TowerNames.NextTokenLogits, DataType.Float, "batch", c.VocabSize);
        return g.Build("KARMA decoder (L_rec): [prefix(h_t)] + tokens so far -> next-token logits, for Explain");
    }

    /// <summary>Pre-ranker: interest, candidate embeddings and request–candidate features → logits.</summary>
    public static ModelProto PreRank(PreRanker ranker)
    {
        ArgumentNullException.ThrowIfNull(ranker);
        var w = new Weights(ranker);
        var g = new GraphBuilder(PackageRoles.PreRank);
        int dim = ranker.EmbedDim;
        var user = g.Input(TowerNames.User, DataType.Float, "batch", dim);
        var cand = g.Input(TowerNames.Candidates, DataType.Float, "batch", "candidates", dim);
        var feats = g.Input(TowerNames.Features, DataType.Float, "batch", "candidates", ranker.Features);
        var (mean, ms) = w["feature_mean"];
        var (std, ss) = w["feature_std"];
        var x = g.Div(g.Sub(feats, g.Constant("feature_mean", mean, ms)), g.Constant("feature_std", std, ss));
        if (ranker.Interaction)
        {
            x = g.Concat(-1, x, g.Mul(g.Unsqueeze(user, 1), cand));
        }

        var h = Layers.Gelu(g, Layers.Linear(g, w, x, "fc1"));
        h = Layers.Gelu(g, Layers.Linear(g, w, h, "fc2"));
        g.Output(g.Squeeze(Layers.Linear(g, w, h, "fc3"), -1), TowerNames.Scores, DataType.Float, "batch", "candidates");
        return g.Build("KARMA pre-ranker: MLP over [standardised request-candidate features" + (ranker.Interaction ? ", u*e" : string.Empty) + "] -> logit per candidate");
    }

    /// <summary>
    /// A pre-ranker without learned weights: the interest · candidate inner product (the karma channel's own score). It
    /// stands in while <c>karma package import</c> computes the requests' interests through the staged package, before
    /// the trained pre-ranker replaces it. The features input is read (times 0) so the signature is the trained one's.
    /// </summary>
    public static ModelProto InnerProductPreRank(int dim, int features)
    {
        var g = new GraphBuilder(PackageRoles.PreRank);
        var user = g.Input(TowerNames.User, DataType.Float, "batch", dim);
        var cand = g.Input(TowerNames.Candidates, DataType.Float, "batch", "candidates", dim);
        var feats = g.Input(TowerNames.Features, DataType.Float, "batch", "candidates", features);
        var dot = g.ReduceSum(g.Mul(g.Unsqueeze(user, 1), cand), false, -1);
        var zero = g.Mul(g.ReduceSum(feats, false, -1), g.Scalar("zero", 0f));
        g.Output(g.Add(dot, zero), TowerNames.Scores, DataType.Float, "batch", "candidates");
        return g.Build("inner-product pre-ranker (interest . candidate); no learned weights");
    }
}
