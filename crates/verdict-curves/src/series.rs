//! The data every stage of `verdict curves` shares: what a column holds ([`Role`], mapped with
//! [`ColumnMap`]), which export a file is ([`Format`]), and the per-step [`Point`]s of one
//! run's [`Series`]. The readers produce it, the diagnosis and the renderers read it.

use std::str::FromStr;

use serde::Serialize;

/// What a column of a metrics file holds. `--map COL=ROLE` names one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The optimizer step (the x axis).
    Step,
    /// The epoch, when a file counts epochs instead of (or beside) steps.
    Epoch,
    /// Training loss (per step or per checkpoint).
    TrainLoss,
    /// Validation loss on a batch or the whole validation set.
    ValidLoss,
    /// Training token accuracy, a fraction in [0, 1].
    TrainAccuracy,
    /// Validation token accuracy.
    ValidAccuracy,
    /// Validation loss over a full pass of the validation set (OpenAI and Azure, epoch ends).
    FullValidLoss,
    /// Token accuracy over a full pass of the validation set.
    FullValidAccuracy,
}

impl Role {
    /// Every role, in the order `--map` lists them.
    pub const ALL: [Role; 8] = [
        Role::Step,
        Role::Epoch,
        Role::TrainLoss,
        Role::ValidLoss,
        Role::TrainAccuracy,
        Role::ValidAccuracy,
        Role::FullValidLoss,
        Role::FullValidAccuracy,
    ];

    /// The role's name, as `--map` and curves.json spell it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Step => "step",
            Role::Epoch => "epoch",
            Role::TrainLoss => "train_loss",
            Role::ValidLoss => "valid_loss",
            Role::TrainAccuracy => "train_accuracy",
            Role::ValidAccuracy => "valid_accuracy",
            Role::FullValidLoss => "full_valid_loss",
            Role::FullValidAccuracy => "full_valid_accuracy",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == text.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
                format!(
                    "unknown role {text:?}: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// `--map COL=ROLE`: read column `COL` of a CSV file as `ROLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// The column's header, as written in the file (matched without regard to case).
    pub column: String,
    /// What it holds.
    pub role: Role,
}

impl FromStr for ColumnMap {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        // Split at the last `=`: a role never contains one, a header might.
        let (column, role) = text.rsplit_once('=').ok_or_else(|| {
            format!("--map {text:?}: expected COLUMN=ROLE, as in loss=train_loss")
        })?;
        let column = column.trim();
        if column.is_empty() {
            return Err(format!("--map {text:?}: the column name is empty"));
        }
        Ok(ColumnMap {
            column: column.to_owned(),
            role: role.parse()?,
        })
    }
}

/// The shape a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// OpenAI fine-tuning result file (`step,train_loss,train_accuracy,valid_loss,...`).
    OpenaiResults,
    /// OpenAI checkpoint list (`fine_tuning.jobs.checkpoints.list`), JSON or JSONL.
    OpenaiCheckpoints,
    /// Azure AI Foundry `results.csv` (`validation_mean_token_accuracy`, ...).
    AzureResults,
    /// Vertex AI tuning series exported from TensorBoard (`/train_total_loss`, ...).
    VertexTensorboard,
    /// TensorBoard scalar downloads of other tags (`run-<run>-tag-<tag>.csv`, `val_loss.csv`).
    Tensorboard,
    /// Weights & Biases run-history CSV export (`Step`, `<run> - train/loss`, ...).
    WandbHistory,
    /// PyTorch Lightning `CSVLogger` `metrics.csv` (`epoch`, `step`, `train_loss`, `val_loss`).
    LightningCsv,
    /// Hugging Face Trainer `trainer_state.json` (also TRL, Unsloth, Axolotl, LLaMA-Factory).
    HfTrainerState,
    /// Any CSV read through `--map`.
    Mapped,
}

impl Format {
    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            Format::OpenaiResults => "OpenAI results",
            Format::OpenaiCheckpoints => "OpenAI checkpoints",
            Format::AzureResults => "Azure results",
            Format::VertexTensorboard => "Vertex TensorBoard",
            Format::Tensorboard => "TensorBoard download",
            Format::WandbHistory => "W&B export",
            Format::LightningCsv => "Lightning metrics.csv",
            Format::HfTrainerState => "Hugging Face trainer_state.json",
            Format::Mapped => "mapped CSV",
        }
    }
}

/// One step of a run: every value the files give for it; `None` where a cell was empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Point {
    /// The optimizer step.
    pub step: u64,
    /// The epoch, when the file has one.
    pub epoch: Option<f64>,
    /// Training loss.
    pub train_loss: Option<f64>,
    /// Validation loss (batch estimate).
    pub valid_loss: Option<f64>,
    /// Training token accuracy.
    pub train_accuracy: Option<f64>,
    /// Validation token accuracy (batch estimate).
    pub valid_accuracy: Option<f64>,
    /// Full-pass validation loss.
    pub full_valid_loss: Option<f64>,
    /// Full-pass validation token accuracy.
    pub full_valid_accuracy: Option<f64>,
    /// The learning rate at this step (Hugging Face Trainer's `learning_rate`). Not a
    /// [`Role`]: it is shown beside the training loss, never diagnosed.
    pub learning_rate: Option<f64>,
}

impl Point {
    /// The value of `role` (`step` as a number).
    pub fn get(&self, role: Role) -> Option<f64> {
        match role {
            // Steps are counts far below 2^53, so the conversion is exact.
            Role::Step => Some(self.step as f64),
            Role::Epoch => self.epoch,
            Role::TrainLoss => self.train_loss,
            Role::ValidLoss => self.valid_loss,
            Role::TrainAccuracy => self.train_accuracy,
            Role::ValidAccuracy => self.valid_accuracy,
            Role::FullValidLoss => self.full_valid_loss,
            Role::FullValidAccuracy => self.full_valid_accuracy,
        }
    }

    /// Sets `role` (not `step`, which identifies the point).
    pub fn set(&mut self, role: Role, value: Option<f64>) {
        let slot = match role {
            Role::Step => return,
            Role::Epoch => &mut self.epoch,
            Role::TrainLoss => &mut self.train_loss,
            Role::ValidLoss => &mut self.valid_loss,
            Role::TrainAccuracy => &mut self.train_accuracy,
            Role::ValidAccuracy => &mut self.valid_accuracy,
            Role::FullValidLoss => &mut self.full_valid_loss,
            Role::FullValidAccuracy => &mut self.full_valid_accuracy,
        };
        *slot = value;
    }

    /// Fills every value `other` has; `other` wins where both have one.
    pub fn merge(&mut self, other: &Point) {
        self.learning_rate = other.learning_rate.or(self.learning_rate);
        for role in Role::ALL {
            if role != Role::Step
                && let Some(value) = other.get(role)
            {
                self.set(role, Some(value));
            }
        }
    }
}

/// One run as read: its points in step order, one per step.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The run's name: its file as given (for Vertex per-tag files, the path without the tag).
    pub name: String,
    /// The files it was read from, as given.
    pub files: Vec<String>,
    /// The format detected.
    pub format: Format,
    /// Whether a file was base64-encoded (the OpenAI API hands result files out that way).
    pub base64: bool,
    /// The points, sorted by step, steps unique.
    pub points: Vec<Point>,
    /// What a Hugging Face Trainer recorded about its checkpoints; `None` for other sources.
    pub trainer: Option<TrainerState>,
}

/// What a `trainer_state.json` says about checkpoints, beside its logged values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainerState {
    /// The steps a checkpoint was saved at: the `checkpoint-N` folders beside the state, or
    /// else every `save_steps` and the last step; `None` when neither is known.
    pub saved_steps: Option<Vec<u64>>,
    /// The Trainer's own best checkpoint (`best_global_step`, or the `N` of
    /// `best_model_checkpoint`).
    pub best_step: Option<u64>,
    /// Its `best_metric` (by `metric_for_best_model`, `eval_loss` unless set otherwise).
    pub best_metric: Option<f64>,
}
