fn main() {
    minicrm_app::start();
}
