export { de } from "./de/index";
