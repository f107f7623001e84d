using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using Karma.Training.Objectives;
using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>The KARMA loss of one batch: L = L_act + Σ λ·L over the objective's registered terms (<see cref="LossTerms"/>).</summary>
public static class AlignStep
{
    /// <summary>The name of L_act in loss curves and progress lines.</summary>
    public const string ActionTerm = "act";

    /// <summary>Computes the objective's loss for a batch.</summary>
    public static StepLoss Loss(KarmaModel model, ItemFeatures items, AlignBatch batch, Objective objective, AlignConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(config);
        var (historyTokens, embeddings) = model.EncodeItems(items.Gather(batch.UniqueItems));
        var (hidden, interest) = model.EncodeSequence(batch.Tokens, batch.HistorySlot, historyTokens, batch.InterestPosition,
            queryEmbedding: batch.QueryEmbedding);

        var act = ActionLoss(batch, embeddings, interest, config);
        var total = act;
        var values = new List<KeyValuePair<string, float>> { new(ActionTerm, act.item<float>()) };
        var forward = new AlignForward(model, items, batch, hidden, interest, config);
        foreach (var term in LossTerms.Registered)
        {
            if (objective.Uses(term.Family) && term.Loss(forward) is { } loss)
            {
                total = total + term.Weight(config) * loss;
                values.Add(new(term.Name, loss.item<float>()));
            }
        }

        return new StepLoss(total, values);
    }

    /// <summary>L_act: the clicked item's score against the hard (shown, not clicked) and in-batch negatives.</summary>
    private static Tensor ActionLoss(AlignBatch batch, Tensor embeddings, Tensor interest, AlignConfig config)
    {
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
        return config.ActionLoss switch
        {
            Objectives.ActionLoss.Bpr => Losses.Bpr(positive, negatives, valid),
            Objectives.ActionLoss.InfoNce => Losses.InfoNce(positive, negatives, valid),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.ActionLoss, "align.action_loss"),
        };
    }
}
