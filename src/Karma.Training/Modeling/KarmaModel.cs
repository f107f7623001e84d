using Karma.Training.Configuration;
using Karma.Training.Batching;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Karma.Training.Modeling;

/// <summary>
/// Backbone, item encoder and heads. Serving needs <see cref="backbone"/>, <see cref="item_encoder"/> and
/// <see cref="interest_head"/>; <see cref="rec_prefix"/> and <see cref="image_head_in"/>/<see cref="image_head_out"/>
/// are the train-only decoders of L_rec and L_img.
/// </summary>
public sealed class KarmaModel : nn.Module
{
    /// <summary>The language-model backbone.</summary>
    public DecoderLM backbone;

    /// <summary>Item features → history token and retrieval embedding.</summary>
    public ItemEncoder item_encoder;

    /// <summary>Hidden state at [INT] → next-interest embedding h_t (normalised).</summary>
    public Linear interest_head;

    /// <summary>L_rec: maps h_t to the one continuous prefix token the backbone decodes the target text from.</summary>
    public Linear rec_prefix;

    /// <summary>L_img: regression head h_t → image feature (standardised).</summary>
    public Linear image_head_in, image_head_out;

    /// <summary>
    /// With a pretrained text encoder: projects the query's sentence embedding onto the [INT] position (no bias, so a
    /// request without a query, a zero embedding, adds nothing).
    /// </summary>
    public Linear? query_proj;

    /// <summary>
    /// With a pretrained text encoder, L_rec's second decoder: h_t → the target item's sentence embedding in the frozen
    /// encoder's space, so h_t stays readable in the space that holds the pretrained knowledge.
    /// </summary>
    public Linear? rec_text_head;

    /// <summary>Creates the model; image statistics standardise features inside the item encoder.</summary>
    public KarmaModel(ModelConfig config, float[]? imageMean = null, float[]? imageStd = null) : base(nameof(KarmaModel))
    {
        config.Validate();
        Config = config;
        backbone = new DecoderLM(config);
        item_encoder = new ItemEncoder(config, imageMean, imageStd);
        interest_head = nn.Linear(config.DModel, config.EmbedDim);
        rec_prefix = nn.Linear(config.EmbedDim, config.DModel);
        image_head_in = nn.Linear(config.EmbedDim, 2 * config.EmbedDim);
        image_head_out = nn.Linear(2 * config.EmbedDim, Math.Max(config.ImageDim, 1));
        if (config.HasTextEncoder)
        {
            query_proj = nn.Linear(config.TextDim, config.DModel, hasBias: false);
            rec_text_head = nn.Linear(config.EmbedDim, config.TextDim);
        }

        RegisterComponents();
    }

    /// <summary>The configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>Encodes items: see <see cref="ItemEncoder.Forward"/>.</summary>
    public (Tensor HistoryToken, Tensor Embedding) EncodeItems(ItemRows rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return item_encoder.Forward(backbone.tok_embeddings, rows.Tokens, rows.Mask, rows.Image, rows.IdBucket, rows.TextEmbedding);
    }

    /// <summary>
    /// Runs an align sequence. tokens [B, T]; historySlot [B, T] (0 = a real token, k &gt; 0 = history item k-1 of
    /// <paramref name="historyTokens"/> [U, d]); interestPos [B]; queryEmbedding [B, text dim] (the frozen text
    /// encoder's, zeros without a query; required when the model has a text encoder), added to the [INT] position
    /// through <see cref="query_proj"/>. Returns hidden states [B, T, d] and h_t [B, D].
    /// </summary>
    public (Tensor Hidden, Tensor Interest) EncodeSequence(Tensor tokens, Tensor historySlot, Tensor historyTokens,
        Tensor interestPos, List<Tensor>? probabilities = null, Tensor? queryEmbedding = null)
    {
        using var scope = NewDisposeScope();
        var embeds = backbone.Embed(tokens);
        var table = cat([zeros(1, historyTokens.shape[1], device: historyTokens.device), historyTokens], 0);
        var slots = table.index_select(0, historySlot.flatten()).view(embeds.shape);
        var isHistory = historySlot.gt(0).unsqueeze(-1);
        var x = where(isHistory, slots, embeds);
        if (query_proj is not null)
        {
            var query = query_proj.forward(queryEmbedding ?? throw new ArgumentNullException(nameof(queryEmbedding),
                $"the model reads {Config.TextEncoder} query embeddings"));
            var atInterest = arange(tokens.shape[1], int64, tokens.device).unsqueeze(0).eq(interestPos.unsqueeze(1));
            x = x + atInterest.unsqueeze(-1).to_type(x.dtype) * query.unsqueeze(1);
        }

        var hidden = backbone.Forward(x, probabilities);
        var rows = arange(tokens.shape[0], int64, tokens.device);
        var at = hidden[rows, interestPos];
        var interest = nn.functional.normalize(interest_head.forward(at), 2.0, -1);
        return (hidden.MoveToOuterDisposeScope(), interest.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// L_rec's decoder pass: [prefix(h_t)] followed by the target text tokens [B, L]; returns next-token logits
    /// [B, L+1, V] (position 0 predicts the first text token).
    /// </summary>
    public Tensor ReconstructLogits(Tensor interest, Tensor textTokens)
    {
        using var scope = NewDisposeScope();
        var prefix = rec_prefix.forward(interest).unsqueeze(1);
        var x = cat([prefix, backbone.Embed(textTokens)], 1);
        return backbone.Logits(backbone.Forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>L_rec's second decoder: h_t [B, D] → predicted sentence embedding of the target text [B, text dim].</summary>
    public Tensor PredictTextEmbedding(Tensor interest)
        => (rec_text_head ?? throw new InvalidOperationException("the model has no text encoder")).forward(interest);

    /// <summary>L_img's head: h_t [B, D] → predicted standardised image feature [B, I].</summary>
    public Tensor PredictImage(Tensor interest)
        => image_head_out.forward(nn.functional.gelu(image_head_in.forward(interest)));
}
