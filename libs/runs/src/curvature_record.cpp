#include "curvtrack/runs/curvature_record.hpp"

#include "curvtrack/runs/json_log.hpp"
#include "json_fields.hpp"

namespace curvtrack::runs {
namespace {

// Keys of a curvature record that CurvatureRecord does not hold are kept out of it on purpose:
// a record is what this version writes, and an unknown key is damage or a newer writer.
EigenRecord eigen_from(const FieldReader& in) {
  EigenRecord out;
  out.k = in.value_or<int>("k", 0);
  out.values = in.numbers("values");
  out.residuals = in.numbers("residuals");
  out.relative_residuals = in.numbers("relative_residuals");
  out.spectral_scale = in.value_or<double>("spectral_scale", 0);
  out.scaled_residuals = in.numbers("scaled_residuals");
  out.converged = in.value_or<bool>("converged", false);
  out.status = in.value_or<std::string>("status", "");
  out.hvps = in.value_or<std::int64_t>("hvps", 0);
  out.lanczos_steps = in.value_or<std::int64_t>("lanczos_steps", 0);
  out.restarts = in.value_or<std::int64_t>("restarts", 0);
  out.tol = in.value_or<double>("tol", 0);
  out.method = in.value_or<std::string>("method", "");
  out.max_basis = in.value_or<std::int64_t>("max_basis", 0);
  out.ncv = in.value_or<std::int64_t>("ncv", 0);
  out.seconds = in.value_or<double>("seconds", 0);
  in.read("warm_started", out.warm_started);
  in.read("completeness_hvps", out.completeness_hvps);
  in.read("completeness_added", out.completeness_added);
  return out;
}

CertificateRecord certificate_from(const FieldReader& in) {
  CertificateRecord out;
  out.checked = in.value_or<std::string>("checked", "");
  out.value = in.value_or<double>("value", 0);
  out.residual = in.value_or<double>("residual", 0);
  out.bound = in.value_or<double>("bound", 0);
  out.relative_bound = in.value_or<double>("relative_bound", 0);
  out.tol = in.value_or<double>("tol", 0);
  out.passed = in.value_or<bool>("passed", false);
  out.fell_back = in.value_or<bool>("fell_back", false);
  out.warm_started = in.value_or<bool>("warm_started", false);
  out.start = in.value_or<std::string>("start", "");
  out.hvps = in.value_or<std::int64_t>("hvps", 0);
  out.products = in.value_or<std::string>("products", "");
  return out;
}

BatchSharpnessRecord batch_sharpness_from(const FieldReader& in) {
  BatchSharpnessRecord out;
  out.lambda_max = in.value_or<double>("lambda_max", 0);
  out.lr_times_lambda_max = in.value_or<double>("lr_times_lambda_max", 0);
  out.examples = in.value_or<std::int64_t>("examples", 0);
  out.batch_loss = in.value_or<double>("batch_loss", 0);
  if (auto part = in.object("certificate")) out.certificate = certificate_from(*part);
  out.hvps = in.value_or<std::int64_t>("hvps", 0);
  if (auto part = in.object("fallback")) out.fallback = eigen_from(*part);
  out.seconds = in.value_or<double>("seconds", 0);
  return out;
}

TraceRecord trace_from(const FieldReader& in) {
  TraceRecord out;
  out.method = in.value_or<std::string>("method", "");
  out.value = in.value_or<double>("value", 0);
  out.standard_error = in.value_or<double>("standard_error", 0);
  out.samples = in.value_or<int>("samples", 0);
  out.hvps = in.value_or<std::int64_t>("hvps", 0);
  out.seconds = in.value_or<double>("seconds", 0);
  in.read("target_relative_se", out.target_relative_se);
  in.read("target_reached", out.target_reached);
  return out;
}

DensityRecord density_from(const FieldReader& in) {
  DensityRecord out;
  out.method = in.value_or<std::string>("method", "");
  out.steps = in.value_or<int>("steps", 0);
  out.runs = in.value_or<int>("runs", 0);
  out.nodes = in.number_rows("nodes");
  out.weights = in.number_rows("weights");
  out.sigma = in.value_or<double>("sigma", 0);
  out.grid = in.numbers("grid");
  out.density = in.numbers("density");
  out.trace_estimate = in.value_or<double>("trace_estimate", 0);
  out.trace_standard_error = in.value_or<double>("trace_standard_error", 0);
  out.hvps = in.value_or<std::int64_t>("hvps", 0);
  out.shared_hvps = in.value_or<std::int64_t>("shared_hvps", 0);
  out.seconds = in.value_or<double>("seconds", 0);
  return out;
}

SetLoss set_loss_from(const FieldReader& in) {
  return {in.value_or<double>("loss", 0), in.value_or<double>("accuracy", 0), in.value_or<std::int64_t>("examples", 0)};
}

SharpnessRecord sharpness_from(const FieldReader& in) {
  SharpnessRecord out;
  out.kind = in.value_or<std::string>("kind", "");
  out.rho = in.value_or<double>("rho", 0);
  out.eta = in.value_or<double>("eta", 0);
  out.epsilon = in.value_or<double>("epsilon", 0);
  out.steps_requested = in.value_or<int>("steps_requested", 0);
  out.step_size = in.value_or<double>("step_size", 0);
  out.step_size_option = in.value_or<double>("step_size_option", 0);
  out.seed = in.value_or<std::uint64_t>("seed", 0);
  out.batch_size = in.value_or<std::int64_t>("batch_size", 0);
  out.parameters_perturbed = in.value_or<std::string>("parameters_perturbed", "");
  out.base_loss = in.value_or<double>("base_loss", 0);
  out.max_loss = in.value_or<double>("max_loss", 0);
  out.sharpness = in.value_or<double>("sharpness", 0);
  in.read("percent", out.percent);
  out.steps = in.value_or<int>("steps", 0);
  out.gradient_evaluations = in.value_or<std::int64_t>("gradient_evaluations", 0);
  out.loss_evaluations = in.value_or<std::int64_t>("loss_evaluations", 0);
  out.seconds = in.value_or<double>("seconds", 0);
  out.status = in.value_or<std::string>("status", "");
  return out;
}

Slice1dRecord slice_1d_from(const FieldReader& in) {
  return {in.numbers("alphas"), in.numbers("losses"), in.value_or<std::string>("direction", "")};
}

Slice2dRecord slice_2d_from(const FieldReader& in) {
  return {in.numbers("alphas"), in.numbers("betas"), in.number_rows("losses"), in.value_or<std::string>("layout", "")};
}

// NaN and infinities are written as JSON null (nlohmann's rule for non-finite numbers).
nlohmann::json rows_json(const std::vector<std::vector<double>>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : rows) out.push_back(row);
  return out;
}

template <typename Record>
void put_record(nlohmann::json& out, const char* key, const std::optional<Record>& record) {
  if (record) out[key] = record->to_json();
}

}  // namespace

nlohmann::json EigenRecord::to_json() const {
  nlohmann::json out = {{"k", k},
                        {"values", values},
                        {"residuals", residuals},
                        {"relative_residuals", relative_residuals},
                        {"spectral_scale", spectral_scale},
                        {"scaled_residuals", scaled_residuals},
                        {"converged", converged},
                        {"status", status},
                        {"hvps", hvps},
                        {"lanczos_steps", lanczos_steps},
                        {"restarts", restarts},
                        {"tol", tol},
                        {"method", method},
                        {"max_basis", max_basis},
                        {"ncv", ncv},
                        {"seconds", seconds}};
  put(out, "warm_started", warm_started);
  put(out, "completeness_hvps", completeness_hvps);
  put(out, "completeness_added", completeness_added);
  return out;
}

nlohmann::json TraceRecord::to_json() const {
  nlohmann::json out = {{"method", method}, {"value", value},   {"standard_error", standard_error},
                        {"samples", samples}, {"hvps", hvps}, {"seconds", seconds}};
  put(out, "target_relative_se", target_relative_se);
  put(out, "target_reached", target_reached);
  return out;
}

nlohmann::json DensityRecord::to_json() const {
  return {{"method", method},
          {"steps", steps},
          {"runs", runs},
          {"nodes", rows_json(nodes)},
          {"weights", rows_json(weights)},
          {"sigma", sigma},
          {"grid", grid},
          {"density", density},
          {"trace_estimate", trace_estimate},
          {"trace_standard_error", trace_standard_error},
          {"hvps", hvps},
          {"shared_hvps", shared_hvps},
          {"seconds", seconds}};
}

nlohmann::json StabilityRecord::to_json() const {
  return {{"lr_times_lambda_max", lr_times_lambda_max},
          {"limit", limit ? nlohmann::json(*limit) : nlohmann::json(nullptr)},
          {"fraction_of_limit", fraction_of_limit ? nlohmann::json(*fraction_of_limit) : nlohmann::json(nullptr)},
          {"momentum", momentum},
          {"optimizer", optimizer},
          {"note", note}};
}

nlohmann::json BlockRecord::to_json() const {
  nlohmann::json out = {{"parameters", parameters}, {"size", size}, {"weight_norm", weight_norm}};
  put_record(out, "top", top);
  put_record(out, "trace", trace);
  return out;
}

nlohmann::json SubspaceRecord::to_json() const {
  nlohmann::json out = {{"k", k}, {"gradient_fraction", gradient_fraction}};
  put(out, "previous_overlap", previous_overlap);
  return out;
}

nlohmann::json CertificateRecord::to_json() const {
  nlohmann::json out = {{"checked", checked},   {"value", value}, {"residual", residual}, {"bound", bound},
          {"relative_bound", relative_bound}, {"tol", tol}, {"passed", passed}, {"fell_back", fell_back},
          {"warm_started", warm_started}, {"hvps", hvps}, {"products", products}};
  if (!start.empty()) out["start"] = start;
  return out;
}

nlohmann::json BatchSharpnessRecord::to_json() const {
  nlohmann::json out = {{"lambda_max", lambda_max}, {"lr_times_lambda_max", lr_times_lambda_max},
                        {"examples", examples},     {"batch_loss", batch_loss},
                        {"certificate", certificate.to_json()}, {"hvps", hvps}};
  put_record(out, "fallback", fallback);
  out["seconds"] = seconds;
  return out;
}

nlohmann::json ProbeDrawsRecord::to_json() const {
  return {{"draws", draws}, {"examples", examples}, {"seeds", seeds}, {"values", values},
          {"converged", converged}, {"mean", mean}, {"sd", sd}, {"min", min}, {"max", max},
          {"hvps", hvps}, {"seconds", seconds}};
}

nlohmann::json blocks_json(const std::map<std::string, BlockRecord>& blocks) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, block] : blocks) out[name] = block.to_json();
  return out;
}

std::map<std::string, BlockRecord> blocks_from_json(const nlohmann::json& parent, const std::string& where) {
  std::map<std::string, BlockRecord> blocks;
  auto part = FieldReader(parent, where).object("blocks");
  if (!part) return blocks;
  for (const auto& [name, value] : part->json().items()) {
    auto entry = part->object(name.c_str());
    if (!entry) throw core::DataError(part->where() + ": \"" + name + "\" is not an object");
    BlockRecord block;
    const nlohmann::json& names = entry->json().contains("parameters") ? entry->json()["parameters"] : nlohmann::json::array();
    if (!names.is_array()) throw core::DataError(entry->where() + ": \"parameters\" is not a list");
    for (const auto& item : names) {
      if (!item.is_string()) throw core::DataError(entry->where() + ": \"parameters\" holds a non-string");
      block.parameters.push_back(item.get<std::string>());
    }
    block.size = entry->value_or<std::int64_t>("size", 0);
    block.weight_norm = entry->value_or<double>("weight_norm", 0);
    if (auto top = entry->object("top")) block.top = eigen_from(*top);
    if (auto trace = entry->object("trace")) block.trace = trace_from(*trace);
    blocks[name] = std::move(block);
  }
  return blocks;
}

std::optional<SubspaceRecord> subspace_from_json(const nlohmann::json& parent, const std::string& where) {
  auto part = FieldReader(parent, where).object("subspace");
  if (!part) return std::nullopt;
  SubspaceRecord out;
  out.k = part->value_or<int>("k", 0);
  out.gradient_fraction = part->value_or<double>("gradient_fraction", 0);
  part->read("previous_overlap", out.previous_overlap);
  return out;
}

std::optional<ProbeDrawsRecord> probe_draws_from_json(const nlohmann::json& parent, const std::string& where) {
  auto part = FieldReader(parent, where).object("probe_draws");
  if (!part) return std::nullopt;
  ProbeDrawsRecord out;
  out.draws = part->value_or<int>("draws", 0);
  out.examples = part->value_or<std::int64_t>("examples", 0);
  for (double seed : part->numbers("seeds")) out.seeds.push_back(static_cast<std::uint64_t>(seed));
  out.values = part->numbers("values");
  const nlohmann::json& flags = part->json().contains("converged") ? part->json()["converged"] : nlohmann::json::array();
  if (!flags.is_array()) throw core::DataError(part->where() + ": \"converged\" is not a list");
  for (const auto& flag : flags) {
    if (!flag.is_boolean()) throw core::DataError(part->where() + ": \"converged\" holds a non-boolean");
    out.converged.push_back(flag.get<bool>());
  }
  out.mean = part->value_or<double>("mean", 0);
  out.sd = part->value_or<double>("sd", 0);
  out.min = part->value_or<double>("min", 0);
  out.max = part->value_or<double>("max", 0);
  out.hvps = part->value_or<std::int64_t>("hvps", 0);
  out.seconds = part->value_or<double>("seconds", 0);
  return out;
}

nlohmann::json SetLoss::to_json() const { return {{"loss", loss}, {"accuracy", accuracy}, {"examples", examples}}; }

nlohmann::json WeightNorms::to_json() const {
  nlohmann::json parameters = nlohmann::json::object();
  for (const auto& [name, norm] : per_parameter) parameters[name] = norm;
  return {{"global", global}, {"per_parameter", parameters}};
}

nlohmann::json TestHessianRecord::to_json() const {
  nlohmann::json out = {{"examples", examples}, {"gradient_norm", gradient_norm}, {"hvps", hvps}};
  put_record(out, "top", top);
  put_record(out, "trace", trace);
  return out;
}

nlohmann::json SharpnessRecord::to_json() const {
  return {{"kind", kind},
          {"rho", rho},
          {"eta", eta},
          {"epsilon", epsilon},
          {"steps_requested", steps_requested},
          {"step_size", step_size},
          {"step_size_option", step_size_option},
          {"seed", seed},
          {"batch_size", batch_size},
          {"parameters_perturbed", parameters_perturbed},
          {"base_loss", base_loss},
          {"max_loss", max_loss},
          {"sharpness", sharpness},
          {"percent", percent ? nlohmann::json(*percent) : nlohmann::json(nullptr)},
          {"steps", steps},
          {"gradient_evaluations", gradient_evaluations},
          {"loss_evaluations", loss_evaluations},
          {"seconds", seconds},
          {"status", status}};
}

nlohmann::json Slice1dRecord::to_json() const {
  return {{"alphas", alphas}, {"losses", losses}, {"direction", direction}};
}

nlohmann::json Slice2dRecord::to_json() const {
  return {{"alphas", alphas}, {"betas", betas}, {"losses", rows_json(losses)}, {"layout", layout}};
}

nlohmann::json CurvatureRecord::to_json() const {
  nlohmann::json out = {{"step", step}, {"label", label}};
  put(out, "skipped", skipped);
  put(out, "probing_stopped", probing_stopped);
  put(out, "lr", lr);
  put(out, "momentum", momentum);
  if (!settings.is_null()) out["settings"] = settings;
  put_record(out, "train_probe", train_probe);
  put_record(out, "test_probe", test_probe);
  put_record(out, "weight_norm", weight_norm);
  put(out, "gradient_norm", gradient_norm);
  put_record(out, "top", top);
  put_record(out, "bottom", bottom);
  put_record(out, "trace", trace);
  put_record(out, "esd", esd);
  put_record(out, "stability", stability);
  put_record(out, "test_hessian", test_hessian);
  if (!blocks.empty()) out["blocks"] = blocks_json(blocks);
  put_record(out, "subspace", subspace);
  put_record(out, "certificate", certificate);
  put_record(out, "batch_sharpness", batch_sharpness);
  put_record(out, "probe_draws", probe_draws);
  if (has_sharpness) {
    out["sharpness"] = nlohmann::json::object();
    put_record(out["sharpness"], "adaptive", adaptive_sharpness);
    put_record(out["sharpness"], "epsilon", epsilon_sharpness);
  }
  if (has_slices) {
    out["slices"] = nlohmann::json::object();
    put_record(out["slices"], "random_1d", random_1d);
    put_record(out["slices"], "random_2d", random_2d);
    put_record(out["slices"], "eigen_1d", eigen_1d);
  }
  put(out, "hvps", hvps);
  put(out, "seconds", seconds);
  put(out, "offline", offline);
  return out;
}

CurvatureRecord CurvatureRecord::from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) throw core::DataError(where + ": a record is not a JSON object");
  FieldReader in(json, where);
  CurvatureRecord record;
  record.step = in.required<std::int64_t>("step");
  record.label = in.value_or<std::string>("label", "");
  in.read("skipped", record.skipped);
  in.read("probing_stopped", record.probing_stopped);
  in.read("lr", record.lr);
  in.read("momentum", record.momentum);
  if (json.contains("settings")) record.settings = json["settings"];
  if (auto part = in.object("train_probe")) record.train_probe = set_loss_from(*part);
  if (auto part = in.object("test_probe")) record.test_probe = set_loss_from(*part);
  if (auto part = in.object("weight_norm")) {
    WeightNorms norms;
    norms.global = part->value_or<double>("global", 0);
    if (auto per = part->object("per_parameter")) {
      for (const auto& [name, value] : per->json().items()) {
        if (!value.is_number()) throw core::DataError(per->where() + ": \"" + name + "\" is not a number");
        norms.per_parameter[name] = value.get<double>();
      }
    }
    record.weight_norm = norms;
  }
  in.read("gradient_norm", record.gradient_norm);
  if (auto part = in.object("top")) record.top = eigen_from(*part);
  if (auto part = in.object("bottom")) record.bottom = eigen_from(*part);
  if (auto part = in.object("trace")) record.trace = trace_from(*part);
  if (auto part = in.object("esd")) record.esd = density_from(*part);
  if (auto part = in.object("stability")) {
    StabilityRecord stability;
    stability.lr_times_lambda_max = part->value_or<double>("lr_times_lambda_max", 0);
    part->read("limit", stability.limit);
    part->read("fraction_of_limit", stability.fraction_of_limit);
    stability.momentum = part->value_or<double>("momentum", 0);
    stability.optimizer = part->value_or<std::string>("optimizer", "");
    stability.note = part->value_or<std::string>("note", "");
    record.stability = stability;
  }
  if (auto part = in.object("test_hessian")) {
    TestHessianRecord test;
    test.examples = part->value_or<std::int64_t>("examples", 0);
    test.gradient_norm = part->value_or<double>("gradient_norm", 0);
    if (auto top = part->object("top")) test.top = eigen_from(*top);
    if (auto trace = part->object("trace")) test.trace = trace_from(*trace);
    test.hvps = part->value_or<std::int64_t>("hvps", 0);
    record.test_hessian = test;
  }
  record.blocks = blocks_from_json(json, where);
  record.subspace = subspace_from_json(json, where);
  if (auto part = in.object("certificate")) record.certificate = certificate_from(*part);
  if (auto part = in.object("batch_sharpness")) record.batch_sharpness = batch_sharpness_from(*part);
  record.probe_draws = probe_draws_from_json(json, where);
  if (auto part = in.object("sharpness")) {
    record.has_sharpness = true;
    if (auto adaptive = part->object("adaptive")) record.adaptive_sharpness = sharpness_from(*adaptive);
    if (auto epsilon = part->object("epsilon")) record.epsilon_sharpness = sharpness_from(*epsilon);
  }
  if (auto part = in.object("slices")) {
    record.has_slices = true;
    if (auto slice = part->object("random_1d")) record.random_1d = slice_1d_from(*slice);
    if (auto slice = part->object("random_2d")) record.random_2d = slice_2d_from(*slice);
    if (auto slice = part->object("eigen_1d")) record.eigen_1d = slice_1d_from(*slice);
  }
  in.read("hvps", record.hvps);
  in.read("seconds", record.seconds);
  in.read("offline", record.offline);
  return record;
}

std::vector<CurvatureRecord> read_curvature_records(const std::filesystem::path& path) {
  std::vector<CurvatureRecord> records;
  std::int64_t line = 0;
  for (const auto& json : read_json_log(path)) {
    ++line;
    records.push_back(CurvatureRecord::from_json(json, path.string() + ": record " + std::to_string(line)));
  }
  return records;
}

}  // namespace curvtrack::runs
