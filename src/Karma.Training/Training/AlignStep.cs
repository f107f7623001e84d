using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using Karma.Training.Objectives;
using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>The KARMA loss of one batch: L = L_act + λ_gen·L_gen + λ_rec·L_rec (+ λ_img·L_img).</summary>
public static class AlignStep
{
    /// <summary>The loss terms of one batch; <c>Total</c> carries the gradient.</summary>
    /// <remarks>
    /// <c>Sem</c> is L_rec's second part when the model has a pretrained text encoder: the cosine distance between the
    /// sentence embedding decoded from h_t and the target item's (weighted by λ_sem, by default λ_rec like the token part).
    /// </remarks>
    public sealed record Terms(Tensor Total, float Act, float? Gen, float? Rec, float? Img, float? Sem = null);

    /// <summary>Computes the objective's loss for a batch.</summary>
    public static Terms Loss(KarmaModel model, ItemFeatures items, AlignBatch batch, Objective objective, AlignConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(config);
        var (historyTokens, embeddings) = model.EncodeItems(items.Gather(batch.UniqueItems));
        var (hidden, interest) = model.EncodeSequence(batch.Tokens, batch.HistorySlot, historyTokens, batch.InterestPosition,
            queryEmbedding: batch.QueryEmbedding);

        double inv = 1.0 / config.Temperature;
        long b = batch.Size, h = batch.HardNegativeLocal.shape[1], dim = embeddings.shape[1];
        var target = embeddings.index_select(0, batch.TargetLocal);
        var positive = (interest * target).sum(-1) * inv;
        var hardEmb = embeddings.index_select(0, batch.HardNegativeLocal.flatten()).view(b, h, dim);
        var hard = (interest.unsqueeze(1) * hardEmb).sum(-1) * inv;
        var inBatch = interest.matmul(target.t()) * inv;
        var inBatchValid = batch.TargetItem.unsqueeze(1).ne(batch.TargetItem.unsqueeze(0));
        var negatives = cat([hard, inBatch], 1);
        var valid = cat([batch.HardNegativeValid, inBatchValid], 1);
        var act = config.ActionLoss == "infonce"
            ? Losses.InfoNce(positive, negatives, valid)
            : Losses.Bpr(positive, negatives, valid);
        var total = act;
        float? gen = null, rec = null, img = null, sem = null;
        if (objective.UsesGen() && batch.GenLabels is not null)
        {
            var l = Losses.NextTokenCrossEntropy(model.backbone.Logits(hidden), batch.GenLabels);
            total = total + config.LambdaGen * l;
            gen = l.item<float>();
        }

        if (objective.UsesRec())
        {
            if (config.LambdaRec > 0 || items.TextEmbedding is null)
            {
                var l = Losses.NextTokenCrossEntropy(model.ReconstructLogits(interest, batch.TargetText), batch.RecLabels);
                total = total + config.LambdaRec * l;
                rec = l.item<float>();
            }

            if (items.TextEmbedding is not null)
            {
                var s = Losses.CosineDistance(model.PredictTextEmbedding(interest), items.TextEmbedding.index_select(0, batch.TargetItem));
                total = total + (config.LambdaSem ?? config.LambdaRec) * s;
                sem = s.item<float>();
            }
        }

        if (objective.UsesImg() && items.Image is not null)
        {
            var targetImage = (items.Image.index_select(0, batch.TargetItem) - model.item_encoder.image_mean)
                / model.item_encoder.image_std;
            var l = Losses.ImageRegression(model.PredictImage(interest), targetImage, items.HasImage.index_select(0, batch.TargetItem));
            total = total + config.LambdaImg * l;
            img = l.item<float>();
        }

        return new Terms(total, act.item<float>(), gen, rec, img, sem);
    }
}
